import { EntitySchema } from 'typeorm';

/** What the registry says about one cache: shared by every instance, or private to one process. */
export type CacheKind = 'redis' | 'in-process';

/** Row of `instances` (schema in migrations/): one live server of the fleet. */
export interface InstanceRow {
  /** random per process */
  id: string;
  host: string;
  /** package.json version */
  version: string;
  /** DATA_PROTECTION_APPLICATION_NAME */
  applicationName: string;
  /** fingerprint of the data-protection key ring read (keyRingIdOf) */
  keyRingId: string;
  cacheKind: CacheKind | string;
  startedAt: Date;
  lastSeenAt: Date;
  /** requests whose forwarded headers came from a peer that is not a known proxy, since start */
  untrustedForwardedHeaders: number;
  lastUntrustedPeer: string | null;
}

export const InstanceEntity = new EntitySchema<InstanceRow>({
  name: 'Instance',
  tableName: 'instances',
  columns: {
    id: { name: 'id', type: 'varchar', length: 36, primary: true },
    host: { name: 'host', type: 'varchar', length: 255 },
    version: { name: 'version', type: 'varchar', length: 50 },
    applicationName: { name: 'application_name', type: 'varchar', length: 200 },
    keyRingId: { name: 'key_ring_id', type: 'varchar', length: 32 },
    cacheKind: { name: 'cache_kind', type: 'varchar', length: 20 },
    startedAt: { name: 'started_at', type: Date },
    lastSeenAt: { name: 'last_seen_at', type: Date },
    untrustedForwardedHeaders: { name: 'untrusted_forwarded_headers', type: 'integer', default: 0 },
    lastUntrustedPeer: { name: 'last_untrusted_peer', type: 'varchar', length: 100, nullable: true },
  },
});
