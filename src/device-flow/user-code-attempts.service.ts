import { Injectable } from '@nestjs/common';
import { AttemptLimit, type AttemptReservation } from '../stores/attempt-limit';
import { AttemptCounterStore } from '../stores/attempt-counter.store';

/** Wrong user codes one client address may type within the window before it must wait. */
export const MAX_FAILED_USER_CODES = 10;
/** The window of MAX_FAILED_USER_CODES, counted from the first failure. */
export const FAILED_USER_CODE_WINDOW_MS = 5 * 60 * 1000;

/**
 * RFC 8628 §5.1: user codes are short enough to guess, so wrong guesses are rate-limited per
 * client address. Every typed code first takes one count with an atomic increment in the
 * AttemptCounterStore (AttemptLimit: Redis, or the shared database), so of any number of concurrent guesses on any instance at most
 * MAX_FAILED_USER_CODES are looked up; a right code gives its count back.
 */
@Injectable()
export class UserCodeAttemptsService {
  private readonly limit: AttemptLimit;

  constructor(counters: AttemptCounterStore) {
    this.limit = new AttemptLimit(counters, { name: 'device-flow:user-code', max: MAX_FAILED_USER_CODES, windowMs: FAILED_USER_CODE_WINDOW_MS });
  }

  /** Counts one typed code from this address; `allowed` false: refuse it without looking it up. */
  reserve(clientIp: string): Promise<AttemptReservation> {
    return this.limit.reserve(clientIp);
  }

  /** The code was right: it does not count against the address. */
  release(clientIp: string): Promise<void> {
    return this.limit.release(clientIp);
  }
}
