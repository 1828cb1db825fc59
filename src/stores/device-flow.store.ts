import type { DeviceCodeRecord } from './models';

export abstract class DeviceFlowStore {
  abstract store(record: DeviceCodeRecord): Promise<void>;
  abstract findByUserCode(userCode: string): Promise<DeviceCodeRecord | undefined>;
  abstract findByDeviceCodeHash(deviceCodeHash: string): Promise<DeviceCodeRecord | undefined>;
  /** Replaces the payload (and subject/session) of an existing record, found by device-code hash. */
  abstract update(record: DeviceCodeRecord): Promise<void>;
  abstract removeByDeviceCodeHash(deviceCodeHash: string): Promise<void>;
  abstract removeExpired(now: Date, batchSize: number): Promise<number>;
}
