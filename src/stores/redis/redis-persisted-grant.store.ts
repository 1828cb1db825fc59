import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import type { PersistedGrant, PersistedGrantFilter } from '../models';
import { PersistedGrantStore } from '../persisted-grant.store';
import { RedisOperationalConnection } from './redis-operational-connection';

const FILTER_FIELDS = ['familyId', 'sessionId', 'subjectId', 'clientId', 'type'] as const;
type FilterField = (typeof FILTER_FIELDS)[number];
/**
 * The fields with a lookup set, most selective first. Client and type have none: such a set would
 * collect every token of a busy client; a filter on them alone (no caller of the server uses one)
 * scans the grant keys instead.
 */
const INDEXED_FIELDS = ['familyId', 'sessionId', 'subjectId'] as const;
type IndexedField = (typeof INDEXED_FIELDS)[number];

function toHash(grant: PersistedGrant): Record<string, string> {
  return {
    key: grant.key,
    type: grant.type,
    clientId: grant.clientId,
    creationTime: String(grant.creationTime.getTime()),
    data: grant.data,
    ...(grant.subjectId !== undefined && { subjectId: grant.subjectId }),
    ...(grant.sessionId !== undefined && { sessionId: grant.sessionId }),
    ...(grant.description !== undefined && { description: grant.description }),
    ...(grant.familyId !== undefined && { familyId: grant.familyId }),
    ...(grant.expiration !== undefined && { expiration: String(grant.expiration.getTime()) }),
    ...(grant.consumedTime !== undefined && { consumedTime: String(grant.consumedTime.getTime()) }),
  };
}

function toModel(hash: Record<string, string>): PersistedGrant {
  return {
    key: hash.key,
    type: hash.type,
    clientId: hash.clientId,
    creationTime: new Date(Number(hash.creationTime)),
    data: hash.data ?? '',
    ...(hash.subjectId !== undefined && { subjectId: hash.subjectId }),
    ...(hash.sessionId !== undefined && { sessionId: hash.sessionId }),
    ...(hash.description !== undefined && { description: hash.description }),
    ...(hash.familyId !== undefined && { familyId: hash.familyId }),
    ...(hash.expiration !== undefined && { expiration: new Date(Number(hash.expiration)) }),
    ...(hash.consumedTime !== undefined && { consumedTime: new Date(Number(hash.consumedTime)) }),
  };
}

/** Same rule as the TypeORM store: an empty filter would match every grant. */
function criteriaOf(filter: PersistedGrantFilter): Array<[FilterField, string]> {
  const criteria = FILTER_FIELDS.flatMap((field) => (filter[field] !== undefined ? [[field, filter[field]] as [FilterField, string]] : []));
  if (criteria.length === 0) {
    throw new Error('PersistedGrantFilter needs at least one of subjectId, sessionId, clientId, type or familyId');
  }
  return criteria;
}

/**
 * Persisted grants in Redis (OPERATIONAL_STORE=redis, docs/deployment.md): one hash per grant at
 * `<app>:ops:grant:<key>` holding exactly what the TypeORM store's row holds (the hashed key, the
 * lookup metadata and the protected payload), expiring with the grant; sets per subject, session
 * and refresh-token family find them for revocation and logout.
 */
@Injectable()
export class RedisPersistedGrantStore extends PersistedGrantStore {
  constructor(private readonly redis: RedisOperationalConnection, @Inject(Clock) private readonly clock: Clock) {
    super();
  }

  private itemKey(key: string): string {
    return `${this.redis.prefix}grant:${key}`;
  }

  private setKey(field: IndexedField, value: string): string {
    return `${this.redis.prefix}grants-by-${field}:${value}`;
  }

  private setsOf(grant: Pick<PersistedGrant, IndexedField>): string[] {
    return INDEXED_FIELDS.flatMap((field) => (grant[field] !== undefined ? [this.setKey(field, grant[field])] : []));
  }

  async store(grant: PersistedGrant): Promise<void> {
    const ttl = grant.expiration === undefined ? undefined : grant.expiration.getTime() - this.clock.now().getTime();
    await this.redis.put('upsert', this.itemKey(grant.key), this.setsOf(grant), grant.key, ttl, toHash(grant));
  }

  async get(key: string): Promise<PersistedGrant | undefined> {
    const [hash] = await this.redis.hashes([this.itemKey(key)]);
    return hash ? toModel(hash) : undefined;
  }

  async getAll(filter: PersistedGrantFilter): Promise<readonly PersistedGrant[]> {
    const criteria = criteriaOf(filter);
    // The most selective indexed criterion picks the set; every criterion is checked on each grant.
    const field = INDEXED_FIELDS.find((f) => filter[f] !== undefined);
    const set = field && this.setKey(field, filter[field] as string);
    const keys = set
      ? (await this.redis.run((redis) => redis.smembers(set))).map((member) => this.itemKey(member))
      : await this.redis.scan('grant:*');
    const hashes = await this.redis.hashes(keys);
    const grants = hashes.flatMap((hash) => (hash ? [toModel(hash)] : []))
      .filter((grant) => criteria.every(([f, v]) => grant[f] === v));
    const stale = set ? keys.filter((_, i) => !hashes[i]).map((key) => key.slice(this.itemKey('').length)) : [];
    if (set && stale.length > 0) await this.redis.run((redis) => redis.srem(set, ...stale));
    return grants.sort((a, b) => a.creationTime.getTime() - b.creationTime.getTime() || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async remove(key: string): Promise<void> {
    const grant = await this.get(key);
    if (grant) await this.redis.remove(this.itemKey(key), this.setsOf(grant), key);
  }

  async removeAll(filter: PersistedGrantFilter): Promise<void> {
    for (const grant of await this.getAll(filter)) await this.redis.remove(this.itemKey(grant.key), this.setsOf(grant), grant.key);
  }

  consume(key: string, when: Date, data?: string): Promise<boolean> {
    // One script: only the caller that sets consumedTime first wins (and writes its data), whatever the concurrency.
    return this.redis.setOnce(this.itemKey(key), 'consumedTime', String(when.getTime()), data === undefined ? {} : { data });
  }

  /**
   * Nothing to do: Redis deletes each grant when it expires (consumed grants stay until then,
   * as in the database, for reuse detection). Always 0 (docs/deployment.md).
   */
  removeExpired(): Promise<number> {
    return Promise.resolve(0);
  }
}
