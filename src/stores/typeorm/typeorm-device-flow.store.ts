import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { DeviceFlowStore } from '../device-flow.store';
import type { DeviceCodeRecord } from '../models';
import { DeviceCodeEntity, type DeviceCodeRow } from './device-code.entity';
import { deleteExpiredBatch } from './expired-batch';

function toModel(row: DeviceCodeRow): DeviceCodeRecord {
  return {
    deviceCodeHash: row.deviceCodeHash,
    userCode: row.userCode,
    clientId: row.clientId,
    creationTime: row.creationTime,
    expiration: row.expiration,
    data: row.data,
    ...(row.subjectId !== null && { subjectId: row.subjectId }),
    ...(row.sessionId !== null && { sessionId: row.sessionId }),
  };
}

/** RFC 8628 device authorizations in the `device_codes` table (SQLite or PostgreSQL). */
@Injectable()
export class TypeOrmDeviceFlowStore extends DeviceFlowStore {
  constructor(@InjectRepository(DeviceCodeEntity) private readonly codes: Repository<DeviceCodeRow>) {
    super();
  }

  async store(record: DeviceCodeRecord): Promise<void> {
    // A plain INSERT: the unique user code must never silently replace another device's request.
    await this.codes.insert({
      deviceCodeHash: record.deviceCodeHash,
      userCode: record.userCode,
      clientId: record.clientId,
      subjectId: record.subjectId ?? null,
      sessionId: record.sessionId ?? null,
      creationTime: record.creationTime,
      expiration: record.expiration,
      data: record.data,
    });
  }

  async findByUserCode(userCode: string): Promise<DeviceCodeRecord | undefined> {
    const row = await this.codes.findOneBy({ userCode });
    return row ? toModel(row) : undefined;
  }

  async findByDeviceCodeHash(deviceCodeHash: string): Promise<DeviceCodeRecord | undefined> {
    const row = await this.codes.findOneBy({ deviceCodeHash });
    return row ? toModel(row) : undefined;
  }

  async update(record: DeviceCodeRecord): Promise<void> {
    const result = await this.codes.update({ deviceCodeHash: record.deviceCodeHash }, {
      subjectId: record.subjectId ?? null,
      sessionId: record.sessionId ?? null,
      data: record.data,
    });
    // Like Duende's DeviceFlowStore: losing a user's approval silently would leave the device
    // polling until it expires.
    if ((result.affected ?? 0) === 0) throw new Error('Device authorization to update was not found (expired or removed)');
  }

  async removeByDeviceCodeHash(deviceCodeHash: string): Promise<void> {
    await this.codes.delete({ deviceCodeHash });
  }

  removeExpired(now: Date, batchSize: number): Promise<number> {
    return deleteExpiredBatch(this.codes, { key: 'device_code_hash', expiration: 'expiration' }, now, batchSize);
  }
}
