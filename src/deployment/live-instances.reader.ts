import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { InstanceRegistry } from './instance-registry';
import type { InstanceRow } from './instance.entity';

/** How long one read of the registry serves the checks: /health may be polled every second by several load balancers. */
export const LIVE_INSTANCES_CACHE_MS = 5_000;

/**
 * The live instances as the deployment checks see them: one registry query shared by every
 * check of a run and cached for a few seconds (monotonic time: a cache lifetime, not logic).
 */
@Injectable()
export class LiveInstancesReader {
  private cached?: { readonly at: number; readonly rows: Promise<InstanceRow[]> };

  constructor(private readonly registry: InstanceRegistry, private readonly clock: Clock) {}

  read(): Promise<InstanceRow[]> {
    const now = performance.now();
    if (!this.cached || now - this.cached.at > LIVE_INSTANCES_CACHE_MS) {
      const rows = this.registry.listLive(this.clock.now());
      this.cached = { at: now, rows };
      // A failed read is not kept: the next run asks again.
      rows.catch(() => { if (this.cached?.rows === rows) this.cached = undefined; });
    }
    return this.cached.rows;
  }
}
