import { Logger } from '@nestjs/common';
import { FakeClock, FakeDataProtectionProvider } from '../../test/support/fakes/key-management.fakes';
import {
  allSchedules, InMemoryPersistedGrantStore, InterleavedPersistedGrantStore, Interleaving,
} from '../../test/support/fakes/persisted-grant.fakes';
import type { Client, PersistedGrant } from '../stores/models';
import {
  FAMILY_REVOCATION_CLOCK_MARGIN_MS, familyRevocationExpiration, RefreshTokenService, refreshTokenExpiration, type OneTimeRotation,
} from './refresh-token.service';

const DAY = 86_400;
const T0 = Date.parse('2030-01-01T00:00:00Z');

const lifetimes = (expiration: 'absolute' | 'sliding', absolute = 30 * DAY, sliding = 15 * DAY) =>
  ({ refreshTokenExpiration: expiration, absoluteRefreshTokenLifetime: absolute, slidingRefreshTokenLifetime: sliding });

describe('refreshTokenExpiration', () => {
  it('absolute, should count from the start of the family whenever the token is renewed', () => {
    expect(refreshTokenExpiration(lifetimes('absolute'), T0, T0 + 10 * DAY * 1000)).toBe(T0 + 30 * DAY * 1000);
  });

  it('sliding, should extend from now but never past the absolute limit', () => {
    expect(refreshTokenExpiration(lifetimes('sliding'), T0, T0 + DAY * 1000)).toBe(T0 + 16 * DAY * 1000);
    expect(refreshTokenExpiration(lifetimes('sliding'), T0, T0 + 20 * DAY * 1000)).toBe(T0 + 30 * DAY * 1000);
  });

  it('sliding with an absolute lifetime of 0, should have no absolute limit', () => {
    expect(refreshTokenExpiration(lifetimes('sliding', 0), T0, T0 + 100 * DAY * 1000)).toBe(T0 + 115 * DAY * 1000);
  });
});

describe('RefreshTokenService', () => {
  const client = { clientId: 'web', ...lifetimes('absolute') } as Client;

  it('createRefreshToken, should store only a hash of the handle, the payload protected, and find it again', async () => {
    const grants = new InMemoryPersistedGrantStore();
    const service = new RefreshTokenService(grants, new FakeDataProtectionProvider(), new FakeClock(new Date(T0)));
    const handle = await service.createRefreshToken({ client, subjectId: '1', scopes: ['openid', 'offline_access'], sessionId: 'SID' });
    const [row] = [...grants.rows.values()];
    expect(row).toMatchObject({ type: 'refresh_token', subjectId: '1', clientId: 'web', sessionId: 'SID', expiration: new Date(T0 + 30 * DAY * 1000) });
    expect(row.key).not.toContain(handle);
    expect(row.data).not.toContain('offline_access');
    const found = await service.find(handle);
    expect(found?.payload).toMatchObject({ subjectId: '1', scopes: ['openid', 'offline_access'], familyCreatedAt: T0 });
    expect(await service.find('unknown')).toBeUndefined();
  });

  it('rotateOneTime, should spend the token and keep the family and its absolute limit', async () => {
    const clock = new FakeClock(new Date(T0));
    const grants = new InMemoryPersistedGrantStore();
    const service = new RefreshTokenService(grants, new FakeDataProtectionProvider(), clock);
    const handle = await service.createRefreshToken({ client, subjectId: '1', scopes: ['offline_access'] });
    const first = await found(service, handle);
    clock.advance(5 * DAY * 1000);
    const rotation = await service.rotateOneTime(first, client);
    const second = await found(service, rotated(rotation));
    expect(second.payload.familyId).toBe(first.payload.familyId);
    expect(second.grant).toMatchObject({ familyId: first.payload.familyId, expiration: first.grant.expiration });
    expect((await found(service, handle)).grant.consumedTime).toEqual(clock.now());
    expect(await service.rotateOneTime(first, client)).toEqual({ outcome: 'reused' });
  });

  it('createRefreshToken, should keep the family id in a column of its own, not in the description', async () => {
    const grants = new InMemoryPersistedGrantStore();
    const service = new RefreshTokenService(grants, new FakeDataProtectionProvider(), new FakeClock(new Date(T0)));
    const stored = await found(service, await service.createRefreshToken({ client, subjectId: '1', scopes: ['offline_access'] }));
    expect(stored.grant.familyId).toBe(stored.payload.familyId);
    expect(stored.grant.description).toBeUndefined();
  });
});

describe('familyRevocationExpiration', () => {
  it('absolute, should last until the family\'s absolute limit, plus the clock margin', () => {
    expect(familyRevocationExpiration(lifetimes('absolute'), T0, T0 + DAY * 1000, [])).toBe(T0 + 30 * DAY * 1000 + FAMILY_REVOCATION_CLOCK_MARGIN_MS);
  });

  it('sliding, should last as long as a member issued now could, or a stored member that lasts longer', () => {
    expect(familyRevocationExpiration(lifetimes('sliding'), T0, T0 + DAY * 1000, [])).toBe(T0 + 16 * DAY * 1000 + FAMILY_REVOCATION_CLOCK_MARGIN_MS);
    const longer = new Date(T0 + 20 * DAY * 1000);
    expect(familyRevocationExpiration(lifetimes('sliding'), T0, T0 + DAY * 1000, [longer])).toBe(longer.getTime() + FAMILY_REVOCATION_CLOCK_MARGIN_MS);
  });

  it('when a member may never expire, should never expire either', () => {
    expect(familyRevocationExpiration(lifetimes('absolute', 0), T0, T0, [])).toBeUndefined();
    expect(familyRevocationExpiration(lifetimes('sliding'), T0, T0, [undefined])).toBeUndefined();
  });
});

describe('RefreshTokenService family revocation (RFC 9700 §4.14.2, docs/endpoints.md)', () => {
  // Hundreds of detected reuses on purpose: their warnings would bury the run's output.
  beforeAll(() => Logger.overrideLogger(['error']));
  afterAll(() => Logger.overrideLogger(['error', 'warn', 'log']));
  const client = { clientId: 'web', allowOfflineAccess: true, refreshTokenUsage: 'oneTime', ...lifetimes('absolute') } as Client;

  it('revokeFamily, should leave a marker that outlives the family, and remove every member', async () => {
    const clock = new FakeClock(new Date(T0));
    const grants = new InMemoryPersistedGrantStore();
    const service = new RefreshTokenService(grants, new FakeDataProtectionProvider(), clock);
    const first = await found(service, await service.createRefreshToken({ client, subjectId: '1', scopes: ['offline_access'] }));
    const second = rotated(await service.rotateOneTime(first, client));
    const other = await service.createRefreshToken({ client, subjectId: '1', scopes: ['offline_access'] });

    expect(await service.revokeFamily(first, client)).toBe(2);
    expect(await service.find(second)).toBeUndefined();
    expect(await service.find(other)).toBeDefined();
    const rows = [...grants.rows.values()].filter((grant) => grant.familyId === first.payload.familyId);
    expect(rows).toEqual([expect.objectContaining({
      type: 'refresh_token_family_revocation', clientId: 'web', subjectId: '1', data: '',
      expiration: new Date(T0 + 30 * DAY * 1000 + FAMILY_REVOCATION_CLOCK_MARGIN_MS),
    })]);
  });

  it('find, when a member of a revoked family is still stored (its instance died before withdrawing it), should refuse it', async () => {
    const grants = new InMemoryPersistedGrantStore();
    const service = new RefreshTokenService(grants, new FakeDataProtectionProvider(), new FakeClock(new Date(T0)));
    const first = await found(service, await service.createRefreshToken({ client, subjectId: '1', scopes: ['offline_access'] }));
    const second = rotated(await service.rotateOneTime(first, client));
    const survivor = (await found(service, second)).grant;
    await service.revokeFamily(first, client);
    await grants.store(survivor);
    expect(await service.find(second)).toBeUndefined();
  });

  it('revokeAllForSubject (the /grants page), should end every family the client holds for that subject only, even a successor stored later', async () => {
    const grants = new InMemoryPersistedGrantStore();
    const service = new RefreshTokenService(grants, new FakeDataProtectionProvider(), new FakeClock(new Date(T0)));
    const first = await found(service, await service.createRefreshToken({ client, subjectId: '1', scopes: ['offline_access'] }));
    const second = rotated(await service.rotateOneTime(first, client));
    const another = await service.createRefreshToken({ client, subjectId: '1', scopes: ['offline_access'] });
    const otherUser = await service.createRefreshToken({ client, subjectId: '2', scopes: ['offline_access'] });
    const otherClient = await service.createRefreshToken({ client: { ...client, clientId: 'shop' }, subjectId: '1', scopes: ['offline_access'] });
    // A rotation racing with the revocation stores its successor just after the deletions.
    const racing = (await found(service, second)).grant;

    expect(await service.revokeAllForSubject('1', client)).toBe(3);
    await grants.store(racing);
    expect(await service.find(second)).toBeUndefined();
    expect(await service.find(another)).toBeUndefined();
    expect(await service.find(otherUser)).toBeDefined();
    expect(await service.find(otherClient)).toBeDefined();
  });

  // Two requests present the same token; whichever consumes first is the winner and rotates, the
  // other is the loser and revokes the family. Every order of their store calls is tried.
  it('rotateOneTime raced by two requests, in every order of their store calls, should leave no member of the family stored or usable', async () => {
    const schedules = allSchedules(['A', 5], ['B', 5]);
    const failures: unknown[] = [];
    for (const schedule of schedules) {
      const inner = new InMemoryPersistedGrantStore();
      const clock = new FakeClock(new Date(T0));
      const dataProtection = new FakeDataProtectionProvider();
      const setup = new RefreshTokenService(inner, dataProtection, clock);
      const handle = await setup.createRefreshToken({ client, subjectId: '1', scopes: ['offline_access'] });
      const presented = await found(setup, handle);

      const interleaving = new Interleaving(schedule);
      const service = new RefreshTokenService(new InterleavedPersistedGrantStore(inner, interleaving), dataProtection, clock);
      const outcomes = await Promise.all(['A', 'B'].map((actor) => interleaving.run(actor, () => service.rotateOneTime(presented, client))));

      const handles = [handle, ...outcomes.flatMap((outcome) => (outcome.outcome === 'rotated' ? [outcome.handle] : []))];
      const usable = (await Promise.all(handles.map((h) => setup.find(h)))).filter((stored) => stored !== undefined);
      const stored = [...inner.rows.values()].filter((grant) => grant.type === 'refresh_token' && grant.familyId === presented.payload.familyId);
      const reused = outcomes.filter((outcome) => outcome.outcome === 'reused').length;
      if (usable.length > 0 || stored.length > 0 || reused !== 1) {
        failures.push({ trace: interleaving.trace.join(' '), outcomes: outcomes.map((o) => o.outcome), usable: usable.length, stored: stored.length });
      }
    }
    expect(schedules).toHaveLength(252);
    expect(failures).toEqual([]);
  });
});

async function found(service: RefreshTokenService, handle: string) {
  const stored = await service.find(handle);
  if (!stored) throw new Error('the refresh token should be found');
  return stored;
}

function rotated(rotation: OneTimeRotation): string {
  if (rotation.outcome !== 'rotated') throw new Error(`expected a rotation, got ${rotation.outcome}`);
  return rotation.handle;
}
