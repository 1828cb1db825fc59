import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { Clock } from '../common/clock';
import { DataProtectionProvider, UnprotectError, type DataProtector } from '../data-protection/data-protector';
import { DATA_PROTECTION_PURPOSES } from '../data-protection/purposes';
import { DeviceFlowStore } from '../stores/device-flow.store';
import type { Client, DeviceCodeRecord } from '../stores/models';
import {
  isDeviceAuthorizationData, type DeviceAuthorization, type DeviceAuthorizationData, type DeviceDecision,
} from './device-authorization';
import { generateUserCode, normalizeUserCode } from './user-code';

export interface CreatedDeviceAuthorization {
  /** the device's secret; only its hash is stored */
  readonly deviceCode: string;
  readonly userCode: string;
  readonly expiresIn: number;
}

/** Collisions of 34-bit user codes among live ones are rare; a few retries make them harmless. */
const USER_CODE_ATTEMPTS = 5;

/**
 * Persists device authorizations through DeviceFlowStore: device and user codes only as hashes
 * (docs/deployment.md), the payload (scopes, the user's decision) protected by data protection.
 */
@Injectable()
export class DeviceCodeService {
  private readonly logger = new Logger(DeviceCodeService.name);
  private readonly protector: DataProtector;

  constructor(
    private readonly store: DeviceFlowStore,
    dataProtection: DataProtectionProvider,
    private readonly clock: Clock,
  ) {
    this.protector = dataProtection.createProtector(...DATA_PROTECTION_PURPOSES.deviceCode);
  }

  async create(client: Client, requestedScopes: readonly string[]): Promise<CreatedDeviceAuthorization> {
    const now = this.clock.now();
    const expiration = new Date(now.getTime() + client.deviceCodeLifetime * 1000);
    // 256 bits: the device code is a bearer credential for the tokens (RFC 8628 §5.2).
    const deviceCode = randomBytes(32).toString('base64url');
    const data: DeviceAuthorizationData = { v: 1, clientId: client.clientId, requestedScopes: [...requestedScopes] };
    // No payload expiry: the record's expiration governs, and an expired code must still be
    // readable to answer expired_token rather than invalid_grant (RFC 8628 §3.5).
    const protectedData = await this.protector.protect(JSON.stringify(data));
    for (let attempt = 0; ; attempt++) {
      const userCode = generateUserCode();
      const userCodeHash = hashUserCode(userCode);
      const clash = await this.store.findByUserCode(userCodeHash);
      if (clash && clash.expiration.getTime() > now.getTime() && attempt < USER_CODE_ATTEMPTS) continue;
      if (clash) await this.store.removeByDeviceCodeHash(clash.deviceCodeHash);
      await this.store.store({
        deviceCodeHash: hashDeviceCode(deviceCode),
        userCode: userCodeHash,
        clientId: client.clientId,
        creationTime: now,
        expiration,
        data: protectedData,
      });
      return { deviceCode, userCode, expiresIn: client.deviceCodeLifetime };
    }
  }

  /** The live authorization for what the user typed; undefined when unknown, malformed or expired. */
  async findByUserCode(input: string): Promise<DeviceAuthorization | undefined> {
    const userCode = normalizeUserCode(input);
    if (!userCode) return undefined;
    const record = await this.store.findByUserCode(hashUserCode(userCode));
    if (!record || record.expiration.getTime() <= this.clock.now().getTime()) return undefined;
    return this.read(record);
  }

  /** The authorization for a device code, expired or not (the grant tells expired_token apart). */
  async findByDeviceCode(deviceCode: string): Promise<DeviceAuthorization | undefined> {
    const record = await this.store.findByDeviceCodeHash(hashDeviceCode(deviceCode));
    return record && this.read(record);
  }

  /** Records the user's decision; false when the authorization is gone, expired or already decided. */
  async decide(authorization: DeviceAuthorization, decision: DeviceDecision): Promise<boolean> {
    const record = await this.store.findByDeviceCodeHash(authorization.deviceCodeHash);
    const current = record && (await this.read(record));
    if (!record || !current || current.data.decision || record.expiration.getTime() <= this.clock.now().getTime()) return false;
    const data: DeviceAuthorizationData = { ...current.data, decision };
    await this.store.update({
      ...record,
      subjectId: decision.approved ? decision.subjectId : undefined,
      sessionId: decision.approved ? decision.sessionId : undefined,
      data: await this.protector.protect(JSON.stringify(data)),
    });
    return true;
  }

  async remove(authorization: Pick<DeviceAuthorization, 'deviceCodeHash'>): Promise<void> {
    await this.store.removeByDeviceCodeHash(authorization.deviceCodeHash);
  }

  private async read(record: DeviceCodeRecord): Promise<DeviceAuthorization | undefined> {
    try {
      const parsed: unknown = JSON.parse(await this.protector.unprotect(record.data));
      if (!isDeviceAuthorizationData(parsed)) {
        this.logger.error(`Device authorization of client ${record.clientId} holds a payload of an unknown shape`);
        return undefined;
      }
      return { deviceCodeHash: record.deviceCodeHash, clientId: record.clientId, creationTime: record.creationTime, expiration: record.expiration, data: parsed };
    } catch (error: unknown) {
      if (error instanceof UnprotectError) {
        // docs/deployment.md: a clear error naming the key id; the code simply does not work.
        this.logger.error(`Device authorization of client ${record.clientId} cannot be unprotected (${error.reason}, key ${error.keyId ?? 'unknown'})`);
        return undefined;
      }
      if (error instanceof SyntaxError) {
        this.logger.error(`Device authorization of client ${record.clientId} is not valid JSON`);
        return undefined;
      }
      throw error;
    }
  }
}

export function hashDeviceCode(deviceCode: string): string {
  return createHash('sha256').update(`${deviceCode}:device_code`, 'utf8').digest('base64url');
}

function hashUserCode(userCode: string): string {
  return createHash('sha256').update(`${userCode}:user_code`, 'utf8').digest('base64url');
}
