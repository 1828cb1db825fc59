import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { Clock } from '../common/clock';
import { MetricsRegistry } from '../metrics/metrics.registry';
import type { IgnoredReason } from './forwarded-headers.policy';

/** What the deployment checks (doctor, `deployment` health indicator) need to know. */
export interface IgnoredForwardedHeadersSnapshot {
  /** requests whose forwarded headers came from a peer that is not a known proxy */
  readonly untrustedProxy: number;
  /** requests that carried forwarded headers none of which FORWARDED_HEADERS honours */
  readonly notEnabled: number;
  /** the most recent untrusted peer, to name in the fix ("add it to KNOWN_PROXIES") */
  readonly lastUntrustedPeer?: string;
  readonly lastUntrustedAt?: Date;
}

/**
 * Counts forwarded headers that were ignored. A proxy that terminates TLS but is not trusted
 * makes the issuer `http://` (docs/health.md): this is the evidence the deployment checks use.
 */
@Injectable()
export class ForwardedHeadersMonitor {
  private readonly counter: Counter<'reason'>;
  private untrustedProxy = 0;
  private notEnabled = 0;
  private lastUntrustedPeer?: string;
  private lastUntrustedAt?: Date;

  constructor(metrics: MetricsRegistry, private readonly clock: Clock) {
    this.counter = new Counter({
      name: 'forwarded_headers_ignored_total',
      help: 'Requests whose X-Forwarded-* headers were ignored: untrusted_proxy (peer not in KNOWN_PROXIES/KNOWN_NETWORKS) or not_enabled (header not in FORWARDED_HEADERS)',
      labelNames: ['reason'],
      registers: [metrics.registry],
    });
    // Export both series from the start so an alert can compare against zero.
    this.counter.inc({ reason: 'untrusted_proxy' }, 0);
    this.counter.inc({ reason: 'not_enabled' }, 0);
  }

  record(reason: IgnoredReason, peer: string): void {
    this.counter.inc({ reason });
    if (reason === 'untrusted_proxy') {
      this.untrustedProxy++;
      this.lastUntrustedPeer = peer;
      this.lastUntrustedAt = this.clock.now();
    } else {
      this.notEnabled++;
    }
  }

  snapshot(): IgnoredForwardedHeadersSnapshot {
    return {
      untrustedProxy: this.untrustedProxy,
      notEnabled: this.notEnabled,
      lastUntrustedPeer: this.lastUntrustedPeer,
      lastUntrustedAt: this.lastUntrustedAt,
    };
  }
}
