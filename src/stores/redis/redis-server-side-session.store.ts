import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import type { ServerSideSession } from '../models';
import { ServerSideSessionStore } from '../server-side-session.store';
import { RedisOperationalConnection } from './redis-operational-connection';

type SessionFilter = { subjectId?: string; sessionId?: string };

/** The clear user name field of sessions written by earlier versions (docs/deployment.md, "State at rest"). */
const LEGACY_DISPLAY_NAME = 'displayName';

function toHash(session: ServerSideSession): Record<string, string> {
  return {
    key: session.key,
    scheme: session.scheme,
    subjectId: session.subjectId,
    sessionId: session.sessionId,
    created: String(session.created.getTime()),
    renewed: String(session.renewed.getTime()),
    data: session.data,
    ...(session.expires !== undefined && { expires: String(session.expires.getTime()) }),
  };
}

function toModel(hash: Record<string, string>): ServerSideSession {
  return {
    key: hash.key,
    scheme: hash.scheme,
    subjectId: hash.subjectId,
    sessionId: hash.sessionId,
    created: new Date(Number(hash.created)),
    renewed: new Date(Number(hash.renewed)),
    data: hash.data ?? '',
    ...(hash.expires !== undefined && { expires: new Date(Number(hash.expires)) }),
  };
}

/**
 * Server-side authentication sessions in Redis (OPERATIONAL_STORE=redis, docs/deployment.md): one
 * hash per session key, expiring with the session (renewal moves the expiry), and sets per
 * subject and per session id for logout.
 */
@Injectable()
export class RedisServerSideSessionStore extends ServerSideSessionStore {
  constructor(private readonly redis: RedisOperationalConnection, @Inject(Clock) private readonly clock: Clock) {
    super();
  }

  private itemKey(key: string): string {
    return `${this.redis.prefix}session:${key}`;
  }

  private setsOf(session: Pick<ServerSideSession, 'subjectId' | 'sessionId'>): string[] {
    return [`${this.redis.prefix}sessions-by-subjectId:${session.subjectId}`, `${this.redis.prefix}sessions-by-sessionId:${session.sessionId}`];
  }

  private ttlOf(session: ServerSideSession): number | undefined {
    return session.expires === undefined ? undefined : session.expires.getTime() - this.clock.now().getTime();
  }

  async create(session: ServerSideSession): Promise<void> {
    const written = await this.redis.put('create', this.itemKey(session.key), this.setsOf(session), session.key, this.ttlOf(session), toHash(session));
    if (!written) throw new Error('Server-side session with this key already exists');
  }

  async get(key: string): Promise<ServerSideSession | undefined> {
    const [hash] = await this.redis.hashes([this.itemKey(key)]);
    // Earlier versions kept the user's name in clear beside the ticket (which holds it too): erase it on sight.
    if (hash?.[LEGACY_DISPLAY_NAME] !== undefined) await this.redis.run((redis) => redis.hdel(this.itemKey(key), LEGACY_DISPLAY_NAME));
    return hash ? toModel(hash) : undefined;
  }

  async update(session: ServerSideSession): Promise<void> {
    // A session removed meanwhile (logout elsewhere, expiry) stays removed: no upsert.
    await this.redis.put('update', this.itemKey(session.key), this.setsOf(session), session.key, this.ttlOf(session), toHash(session));
  }

  async delete(key: string): Promise<void> {
    const session = await this.get(key);
    if (session) await this.redis.remove(this.itemKey(key), this.setsOf(session), key);
  }

  /** Both criteria apply when both are given; at least one is required (as in the database store). */
  async deleteBySubjectOrSession(filter: SessionFilter): Promise<void> {
    if (filter.subjectId === undefined && filter.sessionId === undefined) {
      throw new Error('Session filter needs subjectId or sessionId');
    }
    const set = filter.sessionId !== undefined
      ? `${this.redis.prefix}sessions-by-sessionId:${filter.sessionId}`
      : `${this.redis.prefix}sessions-by-subjectId:${filter.subjectId ?? ''}`;
    const members = await this.redis.run((redis) => redis.smembers(set));
    const hashes = await this.redis.hashes(members.map((member) => this.itemKey(member)));
    for (const hash of hashes) {
      if (!hash) continue;
      const session = toModel(hash);
      if (filter.subjectId !== undefined && session.subjectId !== filter.subjectId) continue;
      if (filter.sessionId !== undefined && session.sessionId !== filter.sessionId) continue;
      await this.redis.remove(this.itemKey(session.key), this.setsOf(session), session.key);
    }
    const stale = members.filter((_, i) => !hashes[i]);
    if (stale.length > 0) await this.redis.run((redis) => redis.srem(set, ...stale));
  }

  /** Nothing to do: Redis deletes each session when it expires. Always 0 (docs/deployment.md). */
  removeExpired(): Promise<number> {
    return Promise.resolve(0);
  }
}
