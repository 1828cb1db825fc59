import { randomUUID } from 'node:crypto';
import type { DeviceFlowStore } from '../../src/stores/device-flow.store';
import type { DeviceCodeRecord } from '../../src/stores/models';
import { FakeClock } from '../support/fakes/fake-clock';
import { describeEachOperationalStore, type OpenedOperationalStores } from '../support/store-databases';

const NOW = new Date('2026-03-01T12:00:00.456Z');
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);
let userCodeCounter = 0;

function aDeviceCode(overrides: Partial<DeviceCodeRecord> = {}): DeviceCodeRecord {
  userCodeCounter += 1;
  return {
    deviceCodeHash: `hash-${randomUUID()}`,
    userCode: `ABCD-${String(userCodeCounter).padStart(4, '0')}`,
    clientId: 'tv',
    creationTime: NOW,
    expiration: minutes(5),
    data: 'protected-request',
    ...overrides,
  };
}

describeEachOperationalStore('DeviceFlowStore', (backend) => {
  let opened: OpenedOperationalStores;
  let store: DeviceFlowStore;
  // Redis deletes expired codes itself (redis-operational-store.int-spec.ts pins the expiry).
  const databaseOnly = backend.name === 'Redis' ? it.skip : it;

  beforeAll(async () => {
    opened = await backend.open(new FakeClock(NOW));
    store = opened.deviceFlow;
  });
  afterAll(async () => {
    await opened?.close();
  });
  beforeEach(async () => {
    await opened.clear();
  });

  it('findByDeviceCodeHash and findByUserCode, when stored, should both return the record', async () => {
    const record = aDeviceCode();
    await store.store(record);
    expect(await store.findByDeviceCodeHash(record.deviceCodeHash)).toEqual(record);
    expect(await store.findByUserCode(record.userCode)).toEqual(record);
  });

  it('find, when the record has no subject yet, should return subject and session absent', async () => {
    const record = aDeviceCode();
    await store.store(record);
    const loaded = await store.findByUserCode(record.userCode);
    expect(loaded).not.toHaveProperty('subjectId');
    expect(loaded).not.toHaveProperty('sessionId');
  });

  it('find, when nothing matches, should return undefined', async () => {
    await store.store(aDeviceCode());
    expect(await store.findByDeviceCodeHash('unknown')).toBeUndefined();
    expect(await store.findByUserCode('ZZZZ-ZZZZ')).toBeUndefined();
  });

  it('store, when the user code is already taken, should fail rather than replace the other request', async () => {
    const first = aDeviceCode();
    await store.store(first);
    await expect(store.store(aDeviceCode({ userCode: first.userCode }))).rejects.toThrow();
    expect(await store.findByUserCode(first.userCode)).toEqual(first);
  });

  it('update, when the user approves, should replace subject, session and payload only', async () => {
    const record = aDeviceCode();
    await store.store(record);
    const approved = { ...record, subjectId: 'alice', sessionId: 'sid-1', data: 'protected-approval' };
    await store.update(approved);
    expect(await store.findByDeviceCodeHash(record.deviceCodeHash)).toEqual(approved);
    expect(await store.findByUserCode(record.userCode)).toEqual(approved);
  });

  it('update, when the record is gone, should fail loudly', async () => {
    await expect(store.update(aDeviceCode())).rejects.toThrow(/not found/);
  });

  it('removeByDeviceCodeHash, when given a hash, should remove that record only', async () => {
    const [a, b] = [aDeviceCode(), aDeviceCode()];
    await store.store(a);
    await store.store(b);
    await store.removeByDeviceCodeHash(a.deviceCodeHash);
    expect(await store.findByDeviceCodeHash(a.deviceCodeHash)).toBeUndefined();
    expect(await store.findByUserCode(a.userCode)).toBeUndefined();
    expect(await store.findByDeviceCodeHash(b.deviceCodeHash)).toEqual(b);
  });

  databaseOnly('removeExpired, when more codes expired than the batch size, should remove one batch per call and keep live ones', async () => {
    const expired = Array.from({ length: 4 }, (_, i) => aDeviceCode({ expiration: minutes(-1 - i) }));
    const live = [aDeviceCode({ expiration: minutes(1) }), aDeviceCode({ expiration: NOW })];
    for (const r of [...expired, ...live]) await store.store(r);

    expect(await store.removeExpired(NOW, 3)).toBe(3);
    expect(await store.removeExpired(NOW, 3)).toBe(1);
    expect(await store.removeExpired(NOW, 3)).toBe(0);
    for (const r of expired) expect(await store.findByDeviceCodeHash(r.deviceCodeHash)).toBeUndefined();
    for (const r of live) expect(await store.findByDeviceCodeHash(r.deviceCodeHash)).toEqual(r);
  });

  databaseOnly('removeExpired, when several cleanups run at once, should remove each expired code once', async () => {
    const expired = Array.from({ length: 6 }, (_, i) => aDeviceCode({ expiration: minutes(-1 - i) }));
    for (const r of expired) await store.store(r);
    expect(await Promise.all([store.removeExpired(NOW, 3), store.removeExpired(NOW, 3)])).toEqual([3, 3]);
    expect(await opened.count('deviceCodes')).toBe(0);
  });
});
