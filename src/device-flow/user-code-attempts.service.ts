import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DistributedCache } from '../caching/distributed-cache';

/** Wrong user codes one client address may type within the window before it must wait. */
export const MAX_FAILED_USER_CODES = 10;
/** How long each failed attempt counts against its address. */
export const FAILED_USER_CODE_WINDOW_MS = 5 * 60 * 1000;

/**
 * RFC 8628 §5.1: user codes are short enough to guess, so wrong guesses are rate-limited per
 * client address. Each failure atomically claims one of MAX_FAILED_USER_CODES slots in the
 * distributed cache (addIfAbsent), so concurrent guesses on any instance all count; when every
 * slot is taken the address is refused until the slots expire.
 */
@Injectable()
export class UserCodeAttemptsService {
  constructor(private readonly cache: DistributedCache) {}

  /** True when this address has used up its failed attempts for now. */
  async isLimited(clientIp: string): Promise<boolean> {
    return (await this.cache.get(slotKey(clientIp, MAX_FAILED_USER_CODES))) !== undefined;
  }

  /** Counts one wrong user code against this address. */
  async recordFailure(clientIp: string): Promise<void> {
    for (let slot = 1; slot <= MAX_FAILED_USER_CODES; slot++) {
      if (await this.cache.addIfAbsent(slotKey(clientIp, slot), '1', FAILED_USER_CODE_WINDOW_MS)) return;
    }
  }
}

/** The address is hashed: the cache holds no personal data in clear. */
function slotKey(clientIp: string, slot: number): string {
  return `device-flow:user-code-failures:${createHash('sha256').update(clientIp).digest('base64url')}:${slot}`;
}
