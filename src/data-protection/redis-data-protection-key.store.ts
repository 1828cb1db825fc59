import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger, type OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import { createRedisClient } from '../caching/ioredis-client';
import { isKeyMaterialEncryption, type StoredDataProtectionKey } from './data-protection-key';
import { DataProtectionKeyStore } from './data-protection-key.store';

const LOCK_TTL_MS = 15_000;
const LOCK_TIMEOUT_MS = 20_000;

/** Releases the lock only if it is still ours (it may have expired and been taken by another instance). */
const RELEASE_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** Marks a field revoked only when it exists; returns 1 when it did. */
const REVOKE_KEY = `local v = redis.call('hget', KEYS[1], ARGV[1])
if not v then return 0 end
local key = cjson.decode(v)
key['revoked'] = true
redis.call('hset', KEYS[1], ARGV[1], cjson.encode(key))
return 1`;

interface RedisKey {
  readonly id: string;
  readonly creationDate: string;
  readonly activationDate: string;
  readonly expirationDate: string;
  readonly revoked: boolean;
  readonly encryption: StoredDataProtectionKey['encryption'];
  readonly keyMaterial: string;
}

/**
 * The key ring in Redis (ASP.NET Core's RedisXmlRepository): one hash per application name,
 * `<application>:data-protection:keys`, field = key id, value = the key as JSON. Use a Redis
 * that persists (AOF/RDB): a flushed ring orphans every protected payload.
 */
export class RedisDataProtectionKeyStore extends DataProtectionKeyStore implements OnModuleDestroy {
  private readonly logger = new Logger(RedisDataProtectionKeyStore.name);
  private readonly hashKey: string;
  private readonly lockKey: string;

  constructor(readonly redis: Redis, private readonly applicationName: string) {
    super();
    this.hashKey = `${applicationName}:data-protection:keys`;
    this.lockKey = `${applicationName}:data-protection:create-lock`;
  }

  static connect(url: string, applicationName: string): RedisDataProtectionKeyStore {
    const redis = createRedisClient(url, { maxRetriesPerRequest: 2, connectTimeout: 5_000, commandTimeout: 5_000 });
    const store = new RedisDataProtectionKeyStore(redis, applicationName);
    redis.on('error', (error: Error) => store.logger.warn(`Redis data-protection store connection problem: ${error.message}`));
    return store;
  }

  get location(): string {
    return `redis ${this.hashKey}`;
  }

  async onModuleDestroy(): Promise<void> {
    await this.redis.quit().catch((error: unknown) => {
      this.logger.warn(`closing the Redis connection failed: ${error instanceof Error ? error.message : String(error)}`);
      this.redis.disconnect();
    });
  }

  readonly ephemeral = false;

  async applicationNames(): Promise<string[]> {
    const suffix = ':data-protection:keys';
    const names = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `*${suffix}`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) names.add(key.slice(0, -suffix.length));
    } while (cursor !== '0');
    return [...names].sort();
  }

  async loadAll(): Promise<StoredDataProtectionKey[]> {
    const fields = await this.redis.hgetall(this.hashKey);
    return Object.entries(fields).map(([id, json]) => toKey(id, json)).sort((a, b) => a.creationDate.getTime() - b.creationDate.getTime());
  }

  async add(key: StoredDataProtectionKey): Promise<void> {
    const value: RedisKey = {
      id: key.id,
      creationDate: key.creationDate.toISOString(),
      activationDate: key.activationDate.toISOString(),
      expirationDate: key.expirationDate.toISOString(),
      revoked: key.revoked,
      encryption: key.encryption,
      keyMaterial: key.keyMaterial,
    };
    await this.redis.hset(this.hashKey, key.id, JSON.stringify(value));
  }

  async revoke(id: string): Promise<boolean> {
    return (await this.redis.eval(REVOKE_KEY, 1, this.hashKey, id)) === 1;
  }

  /** SET NX PX lock with a random token (expires if its holder dies). */
  async withCreationLock<T>(work: () => Promise<T>): Promise<T> {
    const token = randomUUID();
    // Wall-clock time on purpose: this bounds a real wait, not a decision.
    const deadline = Date.now() + LOCK_TIMEOUT_MS;
    while ((await this.redis.set(this.lockKey, token, 'PX', LOCK_TTL_MS, 'NX')) !== 'OK') {
      if (Date.now() > deadline) throw new Error(`timed out waiting for the Redis lock ${this.lockKey}`);
      await sleep(25 + Math.floor(Math.random() * 50));
    }
    try {
      return await work();
    } finally {
      await this.redis.eval(RELEASE_LOCK, 1, this.lockKey, token);
    }
  }
}

function toKey(id: string, json: string): StoredDataProtectionKey {
  let value: Partial<RedisKey>;
  try {
    value = JSON.parse(json) as Partial<RedisKey>;
  } catch (error) {
    throw new Error(`data-protection key ${id} in Redis is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const { creationDate, activationDate, expirationDate, keyMaterial, encryption, revoked } = value;
  if (value.id !== id || !creationDate || !activationDate || !expirationDate || typeof keyMaterial !== 'string'
    || typeof revoked !== 'boolean' || !isKeyMaterialEncryption(encryption)) {
    throw new Error(`data-protection key ${id} in Redis is not a key of this server`);
  }
  return {
    id,
    creationDate: new Date(creationDate),
    activationDate: new Date(activationDate),
    expirationDate: new Date(expirationDate),
    revoked,
    encryption,
    keyMaterial,
  };
}
