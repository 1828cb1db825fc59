import { DependencyUnavailableError } from './dependency-unavailable';

/**
 * Which errors mean "the database / Redis cannot be reached right now" rather than a bug: the one
 * classifier for outages (docs/endpoints.md, docs/deployment.md). It only inspects error codes,
 * names and messages, so it knows no driver and any layer may use it. Anything it does not
 * recognise stays what it is (a genuine bug still answers 500 `server_error`).
 */

/** Socket-level failures: the peer is down, restarting, or the network between is. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EHOSTDOWN',
  'ENETUNREACH', 'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'ENOTCONN', 'ESHUTDOWN',
]);

/**
 * PostgreSQL SQLSTATEs of an unavailable server: class 08 (connection exception), 57P01–57P03
 * (admin / crash shutdown, cannot connect now: starting up or shutting down), 53300 (too many
 * connections), 57P05 (idle session timeout).
 */
function isUnavailableSqlState(code: string): boolean {
  return /^08[0-9A-Z]{3}$/.test(code) || code === '57P01' || code === '57P02' || code === '57P03' || code === '57P05' || code === '53300';
}

/** SQLite result codes of a database another writer holds (after the busy timeout) or cannot open. */
const SQLITE_UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL)(_|$)/;

/** Messages of node-postgres and pg-pool for a connection lost or never made (they carry no code). */
const DATABASE_MESSAGES = [
  /^Connection terminated/i, // "Connection terminated unexpectedly", "… due to connection timeout"
  /timeout exceeded when trying to connect/i, // pg-pool connectionTimeoutMillis
  /^Client has encountered a connection error and is not queryable/i,
  /^Cannot use a pool after calling end on the pool/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /terminating connection due to administrator command/i,
  /^Query read timeout/i,
];

/** ioredis failures of a connection that is down or slow (its own errors carry no code). */
const REDIS_MESSAGES = [
  /^Connection is closed/i,
  /^Stream isn't writeable/i, // enableOfflineQueue: false while reconnecting
  /^Reached the max retries per request limit/i, // MaxRetriesPerRequestError
  /^Command timed out/i, // commandTimeout
  /^(LOADING|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)\b/, // server replies while it restarts or fails over
];

/** The errors along `cause` / `driverError` (TypeORM's QueryFailedError wraps the driver's). */
function chain(error: unknown): Array<Record<string, unknown>> {
  const found: Array<Record<string, unknown>> = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const record = current as Record<string, unknown>;
    found.push(record);
    // Node's AggregateError (several addresses refused) has the code on the outer error and the rest inside.
    const next = record.driverError ?? record.cause ?? (Array.isArray(record.errors) ? record.errors[0] : undefined);
    if (next === current) break;
    current = next;
  }
  return found;
}

function stringOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function summary(error: unknown): string {
  if (error instanceof Error) {
    const code = stringOf((error as unknown as { code?: unknown }).code);
    return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

function isNetworkFailure(record: Record<string, unknown>): boolean {
  return NETWORK_CODES.has(stringOf(record.code)) || NETWORK_CODES.has(stringOf(record.errno));
}

/** True when the error says the database server cannot be used right now (PostgreSQL or SQLite). */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DependencyUnavailableError) return error.dependency === 'database';
  return chain(error).some((record) => {
    const code = stringOf(record.code);
    if (isNetworkFailure(record)) return true;
    if (code && isUnavailableSqlState(code)) return true;
    if (SQLITE_UNAVAILABLE_CODES.test(code)) return true;
    const message = stringOf(record.message);
    return DATABASE_MESSAGES.some((pattern) => pattern.test(message));
  });
}

/** ioredis's own errors of a connection that is down: they name Redis without a doubt. */
function isRedisClientFailure(record: Record<string, unknown>): boolean {
  if (stringOf(record.name) === 'MaxRetriesPerRequestError') return true;
  const message = stringOf(record.message);
  return REDIS_MESSAGES.some((pattern) => pattern.test(message));
}

/** True when the error says the Redis server cannot be used right now. */
export function isRedisUnavailable(error: unknown): boolean {
  if (error instanceof DependencyUnavailableError) return error.dependency === 'redis';
  return chain(error).some((record) => isNetworkFailure(record) || isRedisClientFailure(record));
}

/** The error as a DependencyUnavailableError('database') when it is an outage, else undefined. */
export function databaseUnavailable(error: unknown): DependencyUnavailableError | undefined {
  if (error instanceof DependencyUnavailableError) return error;
  if (!isDatabaseUnavailable(error)) return undefined;
  return new DependencyUnavailableError('database', `the database cannot be reached: ${summary(error)}`, { cause: error });
}

/**
 * For an error that reached the exception filter from anywhere (docs/endpoints.md): ioredis's own
 * connection errors are Redis (a Redis store that does not wrap its errors); every other outage
 * signature (socket errors, SQLSTATEs, driver messages) is the database, the one dependency
 * reached without a wrapper of its own. Undefined for anything else: a bug stays a 500.
 */
export function dependencyUnavailable(error: unknown): DependencyUnavailableError | undefined {
  if (error instanceof DependencyUnavailableError) return error;
  if (chain(error).some(isRedisClientFailure)) return redisUnavailable(error);
  return databaseUnavailable(error);
}

/** The error as a DependencyUnavailableError('redis') when it is an outage, else undefined. */
export function redisUnavailable(error: unknown): DependencyUnavailableError | undefined {
  if (error instanceof DependencyUnavailableError) return error;
  if (!isRedisUnavailable(error)) return undefined;
  return new DependencyUnavailableError('redis', `Redis cannot be reached: ${summary(error)}`, { cause: error });
}
