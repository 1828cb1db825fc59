import { databaseUnavailable, dependencyUnavailable, isDatabaseUnavailable, isRedisUnavailable, redisUnavailable } from './dependency-failure';
import { DependencyUnavailableError } from './dependency-unavailable';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('dependency-failure', () => {
  it.each([
    ['connection refused', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['connection reset', withCode('read ECONNRESET', 'ECONNRESET')],
    ['connection lost mid-query', new Error('Connection terminated unexpectedly')],
    ['connect timeout', new Error('Connection terminated due to connection timeout')],
    ['pool timeout', new Error('timeout exceeded when trying to connect')],
    ['admin shutdown (57P01)', withCode('terminating connection due to administrator command', '57P01')],
    ['shutting down (57P03)', withCode('the database system is shutting down', '57P03')],
    ['connection exception class 08', withCode('connection failure', '08006')],
    ['too many connections', withCode('sorry, too many clients already', '53300')],
    ['SQLite busy after its timeout', withCode('database is locked', 'SQLITE_BUSY')],
    ['SQLite locked', withCode('database table is locked', 'SQLITE_LOCKED_SHAREDCACHE')],
    ['a QueryFailedError around the driver error', Object.assign(new Error('query failed'), { driverError: withCode('terminating connection', '57P01') })],
    ['an AggregateError of refused addresses', Object.assign(new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], ''), { code: 'ECONNREFUSED' })],
  ])('databaseUnavailable, when %s, should classify it as the database being down', (_, error) => {
    const outage = databaseUnavailable(error);
    expect(outage).toBeInstanceOf(DependencyUnavailableError);
    expect(outage).toMatchObject({ dependency: 'database', cause: error });
  });

  it.each([
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a unique violation', withCode('duplicate key value violates unique constraint', '23505')],
    ['a syntax error', withCode('syntax error at or near "SELEC"', '42601')],
    ['a missing table', withCode('relation "grants" does not exist', '42P01')],
    ['a SQLite constraint', withCode('UNIQUE constraint failed: grants.key', 'SQLITE_CONSTRAINT_PRIMARYKEY')],
    ['not an error', 'boom'],
  ])('databaseUnavailable, when %s, should leave it a genuine error (500)', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
    expect(databaseUnavailable(error)).toBeUndefined();
  });

  it.each([
    ['the offline queue refusal', new Error("Stream isn't writeable and enableOfflineQueue options is false")],
    ['a closed connection', new Error('Connection is closed.')],
    ['retries exhausted', Object.assign(new Error('Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.'), { name: 'MaxRetriesPerRequestError' })],
    ['a command timeout', new Error('Command timed out')],
    ['connection refused', withCode('connect ECONNREFUSED 127.0.0.1:6379', 'ECONNREFUSED')],
    ['Redis loading its data', new Error('LOADING Redis is loading the dataset in memory')],
    ['a replica after failover', new Error("READONLY You can't write against a read only replica.")],
  ])('redisUnavailable, when %s, should classify it as Redis being down', (_, error) => {
    expect(redisUnavailable(error)).toMatchObject({ dependency: 'redis' });
  });

  it.each([
    ['a wrong type', new Error('WRONGTYPE Operation against a key holding the wrong kind of value')],
    ['a bug', new TypeError('x is not a function')],
  ])('redisUnavailable, when %s, should leave it a genuine error', (_, error) => {
    expect(isRedisUnavailable(error)).toBe(false);
  });

  it.each([
    ['an ioredis offline-queue refusal', new Error("Stream isn't writeable and enableOfflineQueue options is false"), 'redis'],
    ['an ioredis MaxRetriesPerRequestError', Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' }), 'redis'],
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), 'database'],
    ['a PostgreSQL shutdown', withCode('terminating connection due to administrator command', '57P01'), 'database'],
  ])('dependencyUnavailable (the exception filter), when %s, should name %s', (_, error, dependency) => {
    expect(dependencyUnavailable(error)).toMatchObject({ dependency });
  });

  it('dependencyUnavailable, when the error is a bug, should leave it alone', () => {
    expect(dependencyUnavailable(new RangeError('Invalid time value'))).toBeUndefined();
  });

  it('an existing DependencyUnavailableError passes through unchanged', () => {
    const error = new DependencyUnavailableError('database', 'down');
    expect(databaseUnavailable(error)).toBe(error);
    expect(redisUnavailable(error)).toBe(error);
    expect(dependencyUnavailable(error)).toBe(error);
  });
});
