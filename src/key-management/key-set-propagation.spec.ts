import { Logger } from '@nestjs/common';
import { InMemoryDistributedCache } from '../caching/in-memory-distributed-cache';
import type { DistributedCache } from '../caching/distributed-cache';
import { JoseSigningService } from './jose-signing.service';
import { KeyAlreadyWaitingError, KeyManager } from './key-manager.service';
import { KeySetChangeListener } from './key-set-change.listener';
import { KEYS_CHANGED_CHANNEL, KeySetNotifier, NOTIFIED_PROPAGATION_MS } from './key-set-notifier.service';
import {
  DAY, FakeClock, FakeDataProtectionProvider, FlakySigningKeyStore, InMemorySigningKeyStore, keyConfig,
} from '../../test/support/fakes/key-management.fakes';

const HOUR = 3_600_000;

/** A broker every "instance" of a spec shares: the in-process default of DistributedCache stands in for Redis. */
class SharedBroker extends InMemoryDistributedCache {
  override get reachesOtherInstances(): boolean {
    return true;
  }
}

interface Fleet {
  readonly clock: FakeClock;
  readonly store: InMemorySigningKeyStore;
  readonly broker: DistributedCache;
  readonly config: ReturnType<typeof keyConfig>;
  readonly protection: FakeDataProtectionProvider;
  instance(options?: { listen?: boolean }): Promise<Instance>;
}

interface Instance {
  readonly manager: KeyManager;
  readonly signing: JoseSigningService;
  readonly notifier: KeySetNotifier;
  readonly listener: KeySetChangeListener;
  kids(): Promise<string[]>;
}

function fleet(env: Record<string, string> = {}, store = new InMemorySigningKeyStore()): Fleet {
  const clock = new FakeClock();
  const protection = new FakeDataProtectionProvider();
  const broker = new SharedBroker(clock);
  const config = keyConfig({ KEY_MANAGEMENT_KEY_CACHE_DURATION: '1h', ...env });
  return {
    clock, store, broker, config, protection,
    async instance({ listen = true } = {}) {
      const notifier = new KeySetNotifier(broker, clock, config);
      const manager = new KeyManager(store, clock, config, protection, undefined, undefined, notifier);
      const signing = new JoseSigningService(manager, { signing: [], validation: [] }, config);
      const listener = new KeySetChangeListener(broker, manager, notifier);
      await manager.onModuleInit();
      if (listen) await listener.onModuleInit();
      return { manager, signing, notifier, listener, kids: async () => (await signing.getPublishedKeySet()).jwks.keys.map((k) => k.kid as string) };
    },
  };
}

/** Messages are delivered asynchronously: wait (bounded, real time) until `check` holds. */
async function eventually(check: () => Promise<boolean>, withinMs = 2000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('key-set propagation (KeySetNotifier, KeySetChangeListener, KeyManager.refresh)', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('rotate on one instance, with a shared broker, should show the new key in the other instance\'s JWKS at once, with a new ETag', async () => {
    const f = fleet();
    const a = await f.instance();
    const b = await f.instance();
    const before = await b.signing.getPublishedKeySet();
    f.clock.advance(DAY);
    const { created, notice } = await a.manager.rotate();
    expect(notice).toEqual({ notified: true, receivers: 2, everywhereBy: new Date(f.clock.now().getTime() + NOTIFIED_PROPAGATION_MS) });
    // No time passes on the fake clock: only the message can make b re-read.
    expect(await eventually(async () => (await b.kids()).includes(created[0]))).toBe(true);
    expect((await b.signing.getPublishedKeySet()).etag).not.toBe(before.etag);
    expect(await b.kids()).toEqual(await a.kids());
  });

  it('without the listener, the other instance should show the key only once its key cache expires', async () => {
    const f = fleet();
    const a = await f.instance();
    const b = await f.instance({ listen: false });
    await b.kids();
    f.clock.advance(DAY);
    await b.kids(); // cached now, valid for KEY_MANAGEMENT_KEY_CACHE_DURATION (1h)
    const [kid] = await a.manager.rotateNow();
    f.clock.advance(HOUR - 1);
    expect(await b.kids()).not.toContain(kid);
    f.clock.advance(1);
    expect(await b.kids()).toContain(kid);
  });

  it('a key created or deleted by the scheduled check should be announced to the other instances', async () => {
    const f = fleet();
    const a = await f.instance();
    const b = await f.instance();
    const [k1] = await b.kids();
    const published: string[] = [];
    await f.broker.subscribe(KEYS_CHANGED_CHANNEL, (m) => { published.push(m); });
    f.clock.advance(76 * DAY); // successor due
    const [k2] = await a.manager.ensureKeys();
    expect(await eventually(async () => published.length === 1)).toBe(true);
    expect(JSON.parse(published[0])).toEqual({ origin: a.notifier.origin, created: [k2], deleted: [] });
    expect(await eventually(async () => (await b.kids()).includes(k2))).toBe(true);

    f.clock.advance(104 * DAY - 76 * DAY); // k1 expires and is deleted
    await a.manager.ensureKeys();
    expect(await eventually(async () => published.some((m) => (JSON.parse(m) as { deleted: string[] }).deleted.includes(k1)))).toBe(true);
    expect(await eventually(async () => !(await b.kids()).includes(k1))).toBe(true);
  });

  it('after a broker outage (messages may be lost), the listener should re-read the store', async () => {
    const f = fleet();
    const missed: Array<() => void | Promise<void>> = [];
    const subscribe = f.broker.subscribe.bind(f.broker);
    f.broker.subscribe = async (channel, handler, options = {}) => {
      if (options.onMissedMessages) missed.push(options.onMissedMessages);
      return subscribe(channel, handler, options);
    };
    const b = await f.instance();
    await b.kids();
    // A key written while b's subscription was cut: a writer that sends no message.
    const [kid] = await new KeyManager(f.store, f.clock, f.config, f.protection).rotateNow();
    expect(await b.kids()).not.toContain(kid);
    expect(missed).toHaveLength(1);
    await missed[0]();
    expect(await b.kids()).toContain(kid);
  });

  it('an instance should ignore its own message (no extra store read)', async () => {
    const f = fleet();
    const a = await f.instance();
    await a.kids();
    let reads = 0;
    const load = f.store.loadKeys.bind(f.store);
    f.store.loadKeys = async () => { reads++; return load(); };
    const others: string[] = [];
    await f.broker.subscribe(KEYS_CHANGED_CHANNEL, (m) => { others.push(m); });
    await a.manager.rotateNow();
    const afterRotate = reads;
    expect(await eventually(async () => others.length === 1)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await a.kids();
    expect(reads).toBe(afterRotate);
  });

  it('a notice whose store read fails should keep serving the cached keys', async () => {
    const store = new FlakySigningKeyStore();
    const f = fleet({}, store);
    const a = await f.instance();
    const b = await f.instance();
    const kids = await b.kids();
    store.down = true;
    await f.broker.publish(KEYS_CHANGED_CHANNEL, JSON.stringify({ origin: 'elsewhere', created: ['X'], deleted: [] }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await b.kids()).toEqual(kids);
    expect((await a.signing.sign({ sub: 'x' })).kid).toBe(kids[0]);
  });

  it('rotate, when a key is already announced and waiting, should refuse and create nothing; force should announce another', async () => {
    const f = fleet({ KEY_MANAGEMENT_SIGNING_ALGORITHMS: 'RS256,ES256' });
    const a = await f.instance();
    f.clock.advance(DAY);
    const first = await a.manager.rotate();
    expect(first.created).toHaveLength(2);
    const rows = f.store.rows.size;
    const refused = a.manager.rotate();
    await expect(refused).rejects.toBeInstanceOf(KeyAlreadyWaitingError);
    await expect(refused).rejects.toThrow(
      new RegExp(`^RS256 key ${first.created[0]} is already announced and signs from 2030-01-16T00:00:00.000Z; ES256 key ${first.created[1]} .*: not announcing a second key \\(run \`keys rotate --force\``),
    );
    expect(f.store.rows.size).toBe(rows);
    const forced = await a.manager.rotate({ force: true });
    expect(forced.created).toHaveLength(2);
    expect(f.store.rows.size).toBe(rows + 2);
    // Once the waiting key signs, a plain rotate goes through again.
    f.clock.advance(14 * DAY);
    expect((await a.manager.rotate()).created).toHaveLength(2);
  });

  it('rotate, when only one algorithm has a key waiting, should announce the others and skip that one', async () => {
    const f = fleet({ KEY_MANAGEMENT_SIGNING_ALGORITHMS: 'RS256,ES256' });
    const a = await f.instance();
    f.clock.advance(DAY);
    const first = await a.manager.rotate();
    const [waitingRs, waitingEs] = first.created;
    f.store.rows.delete(waitingEs);
    const second = await a.manager.rotate();
    expect(second.skipped).toEqual([{ kid: waitingRs, alg: 'RS256', signsAt: new Date('2030-01-16T00:00:00.000Z') }]);
    expect(second.created).toHaveLength(1);
    expect(f.store.rows.get(second.created[0])?.algorithm).toBe('ES256');
    expect([...f.store.rows.values()].filter((r) => r.algorithm === 'RS256')).toHaveLength(2);
    expect((await a.manager.rotate({ force: true })).skipped).toEqual([]);
  });

  it('a successor made by the scheduled check counts as waiting too', async () => {
    const f = fleet();
    const a = await f.instance();
    f.clock.advance(76 * DAY);
    await a.manager.ensureKeys();
    await expect(a.manager.rotate()).rejects.toBeInstanceOf(KeyAlreadyWaitingError);
  });

  it('without a shared broker the notice should promise the key cache duration', async () => {
    const clock = new FakeClock();
    const notifier = new KeySetNotifier(new InMemoryDistributedCache(clock), clock, keyConfig({ KEY_MANAGEMENT_KEY_CACHE_DURATION: '2h' }));
    expect(await notifier.keysChanged({ created: ['k'], deleted: [] })).toEqual({ notified: false, everywhereBy: new Date(clock.now().getTime() + 2 * HOUR) });
  });

  it('when the broker is unreachable the notice should say why and promise the key cache duration', async () => {
    const clock = new FakeClock();
    const broken = new SharedBroker(clock);
    broken.publish = async () => { throw new Error('connect ECONNREFUSED'); };
    const notifier = new KeySetNotifier(broken, clock, keyConfig({ KEY_MANAGEMENT_KEY_CACHE_DURATION: '2h' }));
    expect(await notifier.keysChanged({ created: ['k'], deleted: [] })).toEqual({
      notified: false, failure: 'connect ECONNREFUSED', everywhereBy: new Date(clock.now().getTime() + 2 * HOUR),
    });
  });
});
