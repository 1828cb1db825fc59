import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsRegistry } from '../metrics/metrics.registry';
import type { TokenCleanupResult } from './token-cleanup.service';

/** `kind` label of each store cleanup sweeps, by the result field it reports. */
const KINDS: Readonly<Record<keyof TokenCleanupResult, string>> = {
  persistedGrants: 'persisted_grant',
  deviceCodes: 'device_code',
  serverSideSessions: 'server_side_session',
  attemptCounters: 'attempt_counter',
};

/** `grants_cleaned_total{kind}` (docs/metrics.md): expired rows this instance's cleanup removed. */
@Injectable()
export class TokenCleanupMetrics {
  private readonly cleaned: Counter<'kind'>;

  constructor(metrics: MetricsRegistry) {
    this.cleaned = new Counter({
      name: 'grants_cleaned_total',
      help: 'Expired rows removed by token cleanup: persisted_grant, device_code, server_side_session, attempt_counter',
      labelNames: ['kind'],
      registers: [metrics.registry],
    });
    for (const kind of Object.values(KINDS)) this.cleaned.inc({ kind }, 0);
  }

  recordRemoved(result: TokenCleanupResult): void {
    for (const [field, kind] of Object.entries(KINDS) as [keyof TokenCleanupResult, string][]) {
      if (result[field] > 0) this.cleaned.inc({ kind }, result[field]);
    }
  }
}
