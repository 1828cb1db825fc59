import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, MoreThanOrEqual, type Repository } from 'typeorm';
import { InstanceEntity, type InstanceRow } from './instance.entity';

/** How often a server records that it is alive (docs/deployment.md, "Checking a deployment"). */
export const HEARTBEAT_INTERVAL_MS = 30_000;
/** A row not refreshed for three heartbeats belongs to an instance that is gone (killed, partitioned). */
export const INSTANCE_EXPIRY_MS = 3 * HEARTBEAT_INTERVAL_MS;

/**
 * The `instances` table: which servers share this database. Only the server's heartbeat writes
 * it; `doctor` and the deployment checks read it.
 */
@Injectable()
export class InstanceRegistry {
  constructor(@InjectRepository(InstanceEntity) private readonly repository: Repository<InstanceRow>) {}

  /** Inserts or refreshes this instance's row. */
  async record(row: InstanceRow): Promise<void> {
    await this.repository.upsert(row, ['id']);
  }

  async remove(id: string): Promise<void> {
    await this.repository.delete({ id });
  }

  /** Removes the rows of instances not seen within INSTANCE_EXPIRY_MS before `now`; returns how many. */
  async removeStale(now: Date): Promise<number> {
    const result = await this.repository.delete({ lastSeenAt: LessThan(new Date(now.getTime() - INSTANCE_EXPIRY_MS)) });
    return result.affected ?? 0;
  }

  /** Instances seen within INSTANCE_EXPIRY_MS before `now`, oldest first. */
  async listLive(now: Date): Promise<InstanceRow[]> {
    return this.repository.find({
      where: { lastSeenAt: MoreThanOrEqual(new Date(now.getTime() - INSTANCE_EXPIRY_MS)) },
      order: { startedAt: 'ASC', id: 'ASC' },
    });
  }
}
