import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { DeviceFlowStore } from '../device-flow.store';
import type { DeviceCodeRecord } from '../models';
import { RedisOperationalConnection } from './redis-operational-connection';

/**
 * How long an authorization stays after it expired: a device still polling then must get
 * `expired_token`, not `invalid_grant` (RFC 8628 §3.5), so the record must still be there.
 */
export const DEVICE_CODE_EXPIRED_GRACE_MS = 10 * 60_000;

function toHash(record: DeviceCodeRecord): Record<string, string> {
  return {
    deviceCodeHash: record.deviceCodeHash,
    userCode: record.userCode,
    clientId: record.clientId,
    creationTime: String(record.creationTime.getTime()),
    expiration: String(record.expiration.getTime()),
    data: record.data,
    ...(record.subjectId !== undefined && { subjectId: record.subjectId }),
    ...(record.sessionId !== undefined && { sessionId: record.sessionId }),
  };
}

function toModel(hash: Record<string, string>): DeviceCodeRecord {
  return {
    deviceCodeHash: hash.deviceCodeHash,
    userCode: hash.userCode,
    clientId: hash.clientId,
    creationTime: new Date(Number(hash.creationTime)),
    expiration: new Date(Number(hash.expiration)),
    data: hash.data ?? '',
    ...(hash.subjectId !== undefined && { subjectId: hash.subjectId }),
    ...(hash.sessionId !== undefined && { sessionId: hash.sessionId }),
  };
}

/**
 * RFC 8628 device authorizations in Redis (OPERATIONAL_STORE=redis, docs/deployment.md): one hash
 * per device-code hash, and a one-member set per user code pointing at it (that set is what
 * keeps user codes unique), both expiring DEVICE_CODE_EXPIRED_GRACE_MS after the authorization.
 */
@Injectable()
export class RedisDeviceFlowStore extends DeviceFlowStore {
  constructor(private readonly redis: RedisOperationalConnection, @Inject(Clock) private readonly clock: Clock) {
    super();
  }

  private itemKey(deviceCodeHash: string): string {
    return `${this.redis.prefix}device:${deviceCodeHash}`;
  }

  private ttlOf(record: DeviceCodeRecord): number {
    return record.expiration.getTime() + DEVICE_CODE_EXPIRED_GRACE_MS - this.clock.now().getTime();
  }

  private userCodeKey(userCode: string): string {
    return `${this.redis.prefix}device-by-user-code:${userCode}`;
  }

  async store(record: DeviceCodeRecord): Promise<void> {
    const ttl = this.ttlOf(record);
    // Like the database's unique user code: the user-code set (which expires with its one member)
    // must be empty, checked and written in one script, so two requests never share a user code.
    const written = await this.redis.put('create-alone', this.itemKey(record.deviceCodeHash), [this.userCodeKey(record.userCode)],
      record.deviceCodeHash, ttl, toHash(record));
    if (!written) throw new Error('Device authorization with this device code or user code already exists');
  }

  async findByUserCode(userCode: string): Promise<DeviceCodeRecord | undefined> {
    const members = await this.redis.run((redis) => redis.smembers(this.userCodeKey(userCode)));
    const hashes = await this.redis.hashes(members.map((member) => this.itemKey(member)));
    const found = hashes.find((hash) => hash?.userCode === userCode);
    return found ? toModel(found) : undefined;
  }

  async findByDeviceCodeHash(deviceCodeHash: string): Promise<DeviceCodeRecord | undefined> {
    const [hash] = await this.redis.hashes([this.itemKey(deviceCodeHash)]);
    return hash ? toModel(hash) : undefined;
  }

  async update(record: DeviceCodeRecord): Promise<void> {
    const existing = await this.findByDeviceCodeHash(record.deviceCodeHash);
    // Only the payload, subject and session change; codes, client and dates stay as stored.
    const updated: DeviceCodeRecord | undefined = existing && {
      ...existing, data: record.data, subjectId: record.subjectId, sessionId: record.sessionId,
    };
    const written = updated !== undefined && await this.redis.put('update', this.itemKey(record.deviceCodeHash),
      [this.userCodeKey(updated.userCode)], updated.deviceCodeHash, this.ttlOf(updated),
      toHash(updated));
    // Like the database store: losing a user's approval silently would leave the device polling until it expires.
    if (!written) throw new Error('Device authorization to update was not found (expired or removed)');
  }

  async removeByDeviceCodeHash(deviceCodeHash: string): Promise<void> {
    const existing = await this.findByDeviceCodeHash(deviceCodeHash);
    if (existing) await this.redis.remove(this.itemKey(deviceCodeHash), [this.userCodeKey(existing.userCode)], deviceCodeHash);
  }

  /** Nothing to do: Redis deletes each authorization when it expires. Always 0 (docs/deployment.md). */
  removeExpired(): Promise<number> {
    return Promise.resolve(0);
  }
}
