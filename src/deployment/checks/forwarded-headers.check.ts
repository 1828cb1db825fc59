import { Inject, Injectable, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { ForwardedHeadersMonitor } from '../../hosting/forwarded-headers.monitor';
import { DeploymentCheck, type DeploymentCheckContext, type DoctorFinding } from '../deployment-check';
import { LiveInstancesReader } from '../live-instances.reader';

export const FORWARDED_HEADERS_FROM_UNTRUSTED_PROXY = 'forwarded-headers-from-untrusted-proxy';

/** Forwarded headers ignored because the peer is not a known proxy: on which instance, how many, the last peer. */
export interface UntrustedForwardedEvidence {
  readonly where: string;
  readonly count: number;
  readonly lastPeer?: string;
}

/**
 * A warning, not an error: any client can send X-Forwarded-* headers, so as an error it would
 * let anyone take an instance out of its load balancer. Without ISSUER_URI the issuer is then
 * derived from the connection (`http://` behind a TLS-terminating proxy); with it, only client
 * addresses are wrong.
 */
export function untrustedProxyFindings(config: AppConfig, evidence: readonly UntrustedForwardedEvidence[]): DoctorFinding[] {
  const seen = evidence.filter((e) => e.count > 0);
  if (seen.length === 0) return [];
  const peers = [...new Set(seen.map((e) => e.lastPeer).filter((p): p is string => p !== undefined))];
  const total = seen.reduce((sum, e) => sum + e.count, 0);
  const consequence = config.issuerUri
    ? 'so client addresses are the proxy\'s'
    : 'so the issuer and redirects are built from the connection (http:// behind a TLS-terminating proxy) and client addresses are the proxy\'s';
  return [{
    id: FORWARDED_HEADERS_FROM_UNTRUSTED_PROXY,
    severity: 'warning',
    message: `${total} request(s) on ${seen.map((e) => e.where).join(', ')} carried X-Forwarded-* headers from `
      + `${peers.length > 0 ? peers.join(', ') : 'a peer'} that is not a known proxy; they were ignored, ${consequence}.`,
    fix: `If ${peers.length > 0 ? peers.join(', ') : 'that peer'} is your proxy, add it to KNOWN_PROXIES (or its network to KNOWN_NETWORKS); `
      + 'otherwise clients reach the server around the proxy (docs/deployment.md#reverse-proxies-and-forwarded-headers).',
  }];
}

/**
 * Forwarded headers from a proxy that is not trusted. The server counts them itself
 * (ForwardedHeadersMonitor); the CLI sees no traffic and reads what each live instance recorded
 * in the registry.
 */
@Injectable()
export class ForwardedHeadersCheck extends DeploymentCheck {
  readonly name = 'forwarded headers';

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly live: LiveInstancesReader,
    @Optional() private readonly monitor?: ForwardedHeadersMonitor,
  ) {
    super();
  }

  async run(context: DeploymentCheckContext): Promise<readonly DoctorFinding[]> {
    if (context === 'server' && this.monitor) {
      const snapshot = this.monitor.snapshot();
      return untrustedProxyFindings(this.config, [{ where: 'this instance', count: snapshot.untrustedProxy, lastPeer: snapshot.lastUntrustedPeer }]);
    }
    const rows = await this.live.read();
    return untrustedProxyFindings(this.config, rows.map((row) => ({
      where: `${row.host} (${row.id.slice(0, 8)})`, count: row.untrustedForwardedHeaders, lastPeer: row.lastUntrustedPeer ?? undefined,
    })));
  }
}
