import type Redis from 'ioredis';
import type { Command, RedisOptions } from 'ioredis';

/**
 * A new ioredis client for `url`. ioredis is required here, when the first client is made,
 * instead of being imported by every Redis class: a deployment without REDIS_URL or a Redis
 * store never loads it (56 files; measured with bench/profile.mjs in the README's Performance
 * section). The Redis classes import ioredis for its types only, which compile away.
 *
 * `commandTimeout` is kept here rather than by ioredis: see {@link timeOut}.
 */
export function createRedisClient(url: string, options: RedisOptions): Redis {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { default: IORedis } = require('ioredis') as typeof import('ioredis');
  const { commandTimeout, ...rest } = options;
  const client = new IORedis(url, rest);
  if (commandTimeout !== undefined) {
    const send = client.sendCommand.bind(client);
    client.sendCommand = (command, stream) => {
      timeOut(command, commandTimeout);
      return send(command, stream);
    };
  }
  return client;
}

/**
 * Rejects `command` with ioredis's own "Command timed out" when Redis has not answered within
 * `ms`, as ioredis's `commandTimeout` does, with one difference: when the timer fires, the answers
 * that have arrived meanwhile are read first. Timers run before the event loop reads sockets, so a
 * loop kept busy past `ms` (a burst of requests on a loaded machine) would otherwise call a reply
 * late that was waiting in the socket all along, and answer 503 for a Redis that is up. A
 * setImmediate callback runs after the loop's poll phase has read them.
 */
function timeOut(command: Command, ms: number): void {
  const timer = setTimeout(() => setImmediate(() => {
    if (!command.isResolved) command.reject(new Error('Command timed out'));
  }), ms);
  const clear = (): void => clearTimeout(timer);
  command.promise.then(clear, clear);
}
