import { CacheAttemptCounterStore } from '../stores/attempt-counter.store';
import { FakeClock } from '../../test/support/fakes/fake-clock';
import { FakeDataProtectionProvider } from '../../test/support/fakes/key-management.fakes';
import { InMemoryDistributedCache } from '../caching/in-memory-distributed-cache';
import { ConsentService } from '../consent/consent.service';
import { createEphemeralDataProtection } from '../data-protection/ephemeral-data-protection.provider';
import { ErrorPageError } from '../protocol/protocol-errors';
import { DATA_PROTECTION_PURPOSES } from '../data-protection/purposes';
import { ANTIFORGERY_COOKIE_NAME } from '../ui/antiforgery.service';
import { ResourceCatalog } from '../resources/resource-catalog';
import { SessionService } from '../sessions/session.service';
import type { UserSession } from '../sessions/user-session';
import { ClientStore } from '../stores/client.store';
import { DeviceFlowStore } from '../stores/device-flow.store';
import type { Client, DeviceCodeRecord, PersistedGrant, Resources, ServerSideSession } from '../stores/models';
import { PersistedGrantStore } from '../stores/persisted-grant.store';
import { ResourceStore } from '../stores/resource.store';
import { ServerSideSessionStore } from '../stores/server-side-session.store';
import { DeviceCodeService } from './device-code.service';
import { DeviceLoginContextDescriber } from './device-login-context.describer';
import {
  DEVICE_INTERACTION_LIFETIME_MS, DeviceInteractionService, INVALID_USER_CODE,
  type DeviceBrowser, type DeviceInteractionStep,
} from './device-interaction.service';
import { MAX_FAILED_USER_CODES, UserCodeAttemptsService } from './user-code-attempts.service';

function aClient(overrides: Partial<Client> = {}): Client {
  return {
    clientId: 'tv', clientName: 'Living-room TV', enabled: true, clientSecrets: [], requireClientSecret: false,
    allowedGrantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'], allowedScopes: ['openid', 'profile', 'api1'],
    redirectUris: [], postLogoutRedirectUris: [], requirePkce: true, requireConsent: false, allowOfflineAccess: true,
    accessTokenType: 'jwt', accessTokenLifetime: 3600, identityTokenLifetime: 300, authorizationCodeLifetime: 300, deviceCodeLifetime: 1800,
    refreshTokenUsage: 'oneTime', refreshTokenReuseInterval: 0, refreshTokenExpiration: 'absolute', absoluteRefreshTokenLifetime: 2592000, slidingRefreshTokenLifetime: 1296000,
    allowedTokenSigningAlgorithms: [], alwaysIncludeUserClaimsInIdToken: false, requirePushedAuthorization: false,
    ...overrides,
  };
}

class InMemoryDeviceFlowStore extends DeviceFlowStore {
  readonly rows = new Map<string, DeviceCodeRecord>();
  async store(record: DeviceCodeRecord): Promise<void> { this.rows.set(record.deviceCodeHash, record); }
  async findByUserCode(userCode: string): Promise<DeviceCodeRecord | undefined> { return [...this.rows.values()].find((r) => r.userCode === userCode); }
  async findByDeviceCodeHash(hash: string): Promise<DeviceCodeRecord | undefined> { return this.rows.get(hash); }
  async update(record: DeviceCodeRecord): Promise<void> { if (this.rows.has(record.deviceCodeHash)) this.rows.set(record.deviceCodeHash, record); }
  async removeByDeviceCodeHash(hash: string): Promise<void> { this.rows.delete(hash); }
  async removeExpired(): Promise<number> { return 0; }
}

class InMemoryGrantStore extends PersistedGrantStore {
  readonly rows = new Map<string, PersistedGrant>();
  async store(grant: PersistedGrant): Promise<void> { this.rows.set(grant.key, grant); }
  async get(key: string): Promise<PersistedGrant | undefined> { return this.rows.get(key); }
  async getAll(): Promise<readonly PersistedGrant[]> { return [...this.rows.values()]; }
  async remove(key: string): Promise<void> { this.rows.delete(key); }
  async removeAll(): Promise<void> { this.rows.clear(); }
  async consume(): Promise<boolean> { return true; }
  async removeExpired(): Promise<number> { return 0; }
}

class FakeClientStore extends ClientStore {
  readonly clients = new Map<string, Client>();
  async findClientById(clientId: string): Promise<Client | undefined> { return this.clients.get(clientId); }
}

class FakeResourceStore extends ResourceStore {
  async getAllResources(): Promise<Resources> {
    return {
      identityResources: [{ name: 'openid', userClaims: ['sub'] }, { name: 'profile', displayName: 'Your profile', userClaims: ['name'] }],
      apiScopes: [{ name: 'api1', displayName: 'API 1', userClaims: [] }],
      apiResources: [{ name: 'urn:api1', scopes: ['api1'], apiSecrets: [], allowedAccessTokenSigningAlgorithms: [] }],
    };
  }
}

/** Server-side sessions are SessionService's business; these specs only see which clients join one. */
class UnusedSessionStore extends ServerSideSessionStore {
  async create(): Promise<void> { throw new Error('not used'); }
  async get(): Promise<ServerSideSession | undefined> { throw new Error('not used'); }
  async update(): Promise<void> { throw new Error('not used'); }
  async delete(): Promise<void> { throw new Error('not used'); }
  async deleteBySubjectOrSession(): Promise<void> { throw new Error('not used'); }
  async removeExpired(): Promise<number> { throw new Error('not used'); }
}

class RecordingSessionService extends SessionService {
  readonly joined: { readonly sessionId: string; readonly clientId: string }[] = [];
  constructor(clock: FakeClock) { super(new FakeDataProtectionProvider(), new UnusedSessionStore(), clock); }
  override async addClient(session: UserSession, clientId: string): Promise<UserSession> {
    this.joined.push({ sessionId: session.sessionId, clientId });
    return session;
  }
}

const ALICE: UserSession = {
  key: 'session-key', sessionId: 'SID-ALICE', subjectId: 'alice', displayName: 'Alice', authTime: new Date('2029-12-31T23:00:00Z'),
  amr: ['pwd'], clientIds: [], created: new Date('2029-12-31T23:00:00Z'), expires: new Date('2030-01-01T09:00:00Z'),
};

/** A browser at /device: its anti-forgery cookie, address and (changeable) sign-in. */
function aBrowser(session?: UserSession, antiforgeryCookie: string | undefined = 'cookie-of-this-browser'): DeviceBrowser & { signedIn?: UserSession } {
  const browser = {
    antiforgeryCookie,
    clientIp: '203.0.113.7',
    signedIn: session,
    session: async () => browser.signedIn,
  };
  return browser;
}

function setup() {
  const clock = new FakeClock();
  const store = new InMemoryDeviceFlowStore();
  const { provider } = createEphemeralDataProtection({ clock });
  const deviceCodes = new DeviceCodeService(store, provider, clock);
  const clients = new FakeClientStore();
  const grants = new InMemoryGrantStore();
  const consents = new ConsentService(grants, provider, clock);
  const sessions = new RecordingSessionService(clock);
  const cache = new InMemoryDistributedCache(clock);
  const attempts = new UserCodeAttemptsService(new CacheAttemptCounterStore(cache));
  const service = new DeviceInteractionService(
    deviceCodes, clients, new ResourceCatalog(new FakeResourceStore(), clock), consents, sessions, attempts, clock, provider,
  );
  caches.push(cache);
  /** A device asks for authorization (RFC 8628 §3.1); returns the code shown to the user. */
  const deviceAsks = async (client: Client, scopes: readonly string[]) => {
    clients.clients.set(client.clientId, client);
    const created = await deviceCodes.create(client, scopes);
    return { ...created, poll: async () => (await deviceCodes.findByDeviceCode(created.deviceCode))?.data.decision };
  };
  return { clock, service, clients, consents, sessions, attempts, deviceAsks, deviceCodes, provider };
}

const caches: InMemoryDistributedCache[] = [];
afterEach(() => { for (const cache of caches.splice(0)) cache.onModuleDestroy(); });

/** The `request` parameter of a step that carries on at /device. */
function interactionOf(step: DeviceInteractionStep): string {
  if (step.kind !== 'login' && step.kind !== 'confirm') throw new Error(`expected login or confirm, got ${step.kind}`);
  const interaction = new URL(step.returnUrl, 'https://id.example').searchParams.get('request');
  if (!interaction) throw new Error('no request parameter');
  return interaction;
}

async function pageErrorOf(promise: Promise<unknown>): Promise<{ error: string; description?: string }> {
  const error: unknown = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof ErrorPageError)) throw new Error(`expected an ErrorPageError, got ${String(error)}`);
  return { error: error.error, description: error.description };
}

describe('DeviceInteractionService', () => {
  describe('enterCode', () => {
    it('when the code is unknown, should show the code page again with 400 and count the failure', async () => {
      const { service } = setup();
      const step = await service.enterCode('BCDF-GHJK', aBrowser(ALICE));
      expect(step).toEqual({ kind: 'enter-code', userCode: 'BCDF-GHJK', error: 'invalid', status: 400 });
      for (let i = 1; i < MAX_FAILED_USER_CODES; i++) await service.enterCode('BCDF-GHJK', aBrowser(ALICE));
      expect(await service.enterCode('BCDF-GHJK', aBrowser(ALICE))).toMatchObject({ error: 'too-many-attempts', status: 429 });
    });

    it('when the address used up its wrong guesses, should refuse with 429 even a good code (RFC 8628 §5.1)', async () => {
      const { service, attempts, deviceAsks } = setup();
      const device = await deviceAsks(aClient(), ['openid']);
      for (let i = 0; i < MAX_FAILED_USER_CODES; i++) await attempts.reserve('203.0.113.7');
      const step = await service.enterCode(device.userCode, aBrowser(ALICE));
      expect(step).toEqual({ kind: 'enter-code', userCode: device.userCode, error: 'too-many-attempts', status: 429 });
      expect(await device.poll()).toBeUndefined();
    });

    it('when nobody is signed in, should send to login with the code only inside the protected interaction', async () => {
      const { service, deviceAsks } = setup();
      const device = await deviceAsks(aClient(), ['openid']);
      const step = await service.enterCode(device.userCode.toLowerCase().replace('-', ' '), aBrowser());
      expect(step).toMatchObject({ kind: 'login', returnUrl: expect.stringMatching(/^\/device\?request=/) });
      expect(JSON.stringify(step)).not.toContain(device.userCode.replace('-', ''));
      expect(await device.poll()).toBeUndefined();
    });

    it('when signed in and the client needs no consent, should still ask for confirmation (RFC 8628 §5.4), deciding nothing yet', async () => {
      const { service, sessions, deviceAsks } = setup();
      const device = await deviceAsks(aClient(), ['openid', 'api1']);
      const browser = aBrowser(ALICE);
      const step = await service.enterCode(device.userCode.toLowerCase(), browser);
      expect(step).toMatchObject({
        kind: 'confirm', userCode: device.userCode, allowRemember: false, userDisplayName: 'Alice',
        request: { client: { clientId: 'tv', clientName: 'Living-room TV' }, apiScopes: [{ name: 'api1' }] },
      });
      expect(await device.poll()).toBeUndefined();
      expect(sessions.joined).toEqual([]);
      expect(await service.decide(interactionOf(step), browser, { allow: true, remember: false }))
        .toEqual({ kind: 'done', outcome: 'connected', clientName: 'Living-room TV' });
      expect(await device.poll()).toEqual({
        approved: true, subjectId: 'alice', sessionId: 'SID-ALICE', authTime: ALICE.authTime.getTime(), amr: ['pwd'], scopes: ['openid', 'api1'],
      });
      expect(sessions.joined).toEqual([{ sessionId: 'SID-ALICE', clientId: 'tv' }]);
    });

    it('when the client requires consent, should ask with the client, the resources and offline access, offering to remember', async () => {
      const { service, deviceAsks } = setup();
      const device = await deviceAsks(aClient({ requireConsent: true, clientName: undefined }), ['offline_access', 'api1', 'openid', 'profile']);
      const step = await service.enterCode(device.userCode, aBrowser(ALICE));
      expect(step).toMatchObject({
        kind: 'confirm',
        userCode: device.userCode,
        allowRemember: true,
        returnUrl: expect.stringMatching(/^\/device\?request=/),
        userDisplayName: 'Alice',
        request: {
          client: { clientId: 'tv' },
          identityResources: [{ name: 'openid' }, { name: 'profile', displayName: 'Your profile' }],
          apiScopes: [{ name: 'api1', displayName: 'API 1' }],
          offlineAccess: true,
        },
      });
      expect(await device.poll()).toBeUndefined();
    });

    it('when consent for every requested scope is remembered, should still confirm the device, without asking to remember', async () => {
      const { service, consents, deviceAsks } = setup();
      await consents.remember('alice', 'tv', ['openid', 'api1']);
      const device = await deviceAsks(aClient({ requireConsent: true }), ['api1']);
      expect(await service.enterCode(device.userCode, aBrowser(ALICE))).toMatchObject({ kind: 'confirm', allowRemember: false });
      expect(await device.poll()).toBeUndefined();
    });

    it('when the code was already answered, should treat it as invalid', async () => {
      const { service, deviceAsks } = setup();
      const device = await deviceAsks(aClient(), ['openid']);
      const browser = aBrowser(ALICE);
      await service.decide(interactionOf(await service.enterCode(device.userCode, browser)), browser, { allow: true, remember: false });
      expect(await service.enterCode(device.userCode, aBrowser(ALICE))).toMatchObject({ kind: 'enter-code', status: 400, error: 'invalid' });
    });

    it('when the device code has expired, should treat it as invalid', async () => {
      const { clock, service, deviceAsks } = setup();
      const device = await deviceAsks(aClient({ deviceCodeLifetime: 300 }), ['openid']);
      clock.advance(300_000);
      expect(await service.enterCode(device.userCode, aBrowser(ALICE))).toMatchObject({ kind: 'enter-code', status: 400 });
    });

    it('when the client has been disabled meanwhile, should show the error page', async () => {
      const { service, clients, deviceAsks } = setup();
      const device = await deviceAsks(aClient(), ['openid']);
      clients.clients.set('tv', aClient({ enabled: false }));
      expect(await pageErrorOf(service.enterCode(device.userCode, aBrowser(ALICE)))).toEqual({ error: 'invalid_request', description: INVALID_USER_CODE });
      expect(await device.poll()).toBeUndefined();
    });
  });

  describe('resume', () => {
    it('after login in the same browser, should carry on to the confirmation, then approval', async () => {
      const { service, deviceAsks } = setup();
      const device = await deviceAsks(aClient(), ['openid']);
      const browser = aBrowser();
      const login = await service.enterCode(device.userCode, browser);
      browser.signedIn = ALICE;
      const confirm = await service.resume(interactionOf(login), browser);
      expect(confirm).toMatchObject({ kind: 'confirm', userCode: device.userCode });
      expect(await service.decide(interactionOf(confirm), browser, { allow: true, remember: false })).toMatchObject({ kind: 'done', outcome: 'connected' });
      expect(await device.poll()).toMatchObject({ approved: true, subjectId: 'alice' });
    });

    it('when the interaction was minted in another browser, should refuse it (RFC 8628 §5.4)', async () => {
      const { service, deviceAsks } = setup();
      const device = await deviceAsks(aClient(), ['openid']);
      // The attacker types their own device's code, then sends the resulting link to a signed-in victim.
      const login = await service.enterCode(device.userCode, aBrowser(undefined, 'attacker-cookie'));
      const victim = aBrowser(ALICE, 'victim-cookie');
      expect(await pageErrorOf(service.resume(interactionOf(login), victim))).toMatchObject({ error: 'invalid_request' });
      expect(await pageErrorOf(service.resume(interactionOf(login), aBrowser(ALICE, undefined)))).toMatchObject({ error: 'invalid_request' });
      expect(await device.poll()).toBeUndefined();
    });

    it('when the interaction is older than its lifetime, should refuse it though the device code still lives', async () => {
      const { clock, service, deviceAsks } = setup();
      const device = await deviceAsks(aClient({ deviceCodeLifetime: 1800 }), ['openid']);
      const browser = aBrowser();
      const login = await service.enterCode(device.userCode, browser);
      browser.signedIn = ALICE;
      clock.advance(DEVICE_INTERACTION_LIFETIME_MS + 1000);
      expect(await pageErrorOf(service.resume(interactionOf(login), browser))).toMatchObject({ error: 'invalid_request' });
      expect(await device.poll()).toBeUndefined();
    });

    it('when the interaction is tampered with or not one at all, should show the error page', async () => {
      const { service, deviceAsks } = setup();
      const device = await deviceAsks(aClient(), ['openid']);
      const interaction = interactionOf(await service.enterCode(device.userCode, aBrowser()));
      const tampered = `${interaction.slice(0, -2)}${interaction.endsWith('AA') ? 'BB' : 'AA'}`;
      expect(await pageErrorOf(service.resume(tampered, aBrowser(ALICE)))).toMatchObject({ error: 'invalid_request' });
      expect(await pageErrorOf(service.resume('not-a-payload', aBrowser(ALICE)))).toMatchObject({ error: 'invalid_request' });
    });
  });

  describe('decide', () => {
    async function consentAsked() {
      const context = setup();
      const device = await context.deviceAsks(aClient({ requireConsent: true }), ['openid', 'api1']);
      const browser = aBrowser(ALICE);
      const interaction = interactionOf(await context.service.enterCode(device.userCode, browser));
      return { ...context, device, browser, interaction };
    }

    it('deny, should record the refusal for the device and connect nothing', async () => {
      const { service, sessions, device, browser, interaction } = await consentAsked();
      expect(await service.decide(interaction, browser, { allow: false, remember: true })).toEqual({
        kind: 'done', outcome: 'denied', clientName: 'Living-room TV',
      });
      expect(await device.poll()).toEqual({ approved: false });
      expect(sessions.joined).toEqual([]);
    });

    it('allow with remember, should approve and remember the consent for the next device', async () => {
      const { service, consents, device, browser, interaction } = await consentAsked();
      expect(await service.decide(interaction, browser, { allow: true, remember: true })).toMatchObject({ kind: 'done', outcome: 'connected' });
      expect(await device.poll()).toMatchObject({ approved: true, scopes: ['openid', 'api1'] });
      expect(await consents.getRememberedScopes('alice', 'tv')).toEqual(['openid', 'api1']);
    });

    it('allow without remember, should approve and remember nothing', async () => {
      const { service, consents, browser, interaction } = await consentAsked();
      await service.decide(interaction, browser, { allow: true, remember: false });
      expect(await consents.getRememberedScopes('alice', 'tv')).toBeUndefined();
    });

    it('when the session ended meanwhile, should ask to sign in again and decide nothing', async () => {
      const { service, device, browser, interaction } = await consentAsked();
      browser.signedIn = undefined;
      expect(await pageErrorOf(service.decide(interaction, browser, { allow: true, remember: false }))).toMatchObject({ error: 'login_required' });
      expect(await device.poll()).toBeUndefined();
    });

    it('when the form is posted again after an answer, should refuse the second answer', async () => {
      const { service, device, browser, interaction } = await consentAsked();
      await service.decide(interaction, browser, { allow: false, remember: false });
      expect(await pageErrorOf(service.decide(interaction, browser, { allow: true, remember: false }))).toMatchObject({ error: 'invalid_request' });
      expect(await device.poll()).toEqual({ approved: false });
    });
  });
});

describe('DeviceLoginContextDescriber', () => {
  /** The login page's request: the browser's anti-forgery cookie, as aBrowser() has it. */
  const cookiesOf = (cookie = 'cookie-of-this-browser') => ({ cookies: { [ANTIFORGERY_COOKIE_NAME]: cookie } });

  /** A device asked, the user typed its code while signed out: the returnUrl the login page gets. */
  async function loginRedirected(client: Client = aClient({ logoUri: 'https://tv.example/logo.svg' })) {
    const context = setup();
    const device = await context.deviceAsks(client, ['openid']);
    const step = await context.service.enterCode(device.userCode, aBrowser());
    if (step.kind !== 'login') throw new Error(`expected login, got ${step.kind}`);
    return { ...context, device, returnUrl: step.returnUrl, describer: new DeviceLoginContextDescriber(context.service) };
  }

  it('for the /device returnUrl of this browser, should name the client and its logo', async () => {
    const { describer, returnUrl } = await loginRedirected();
    expect(await describer.describe(returnUrl, cookiesOf())).toEqual({ clientName: 'Living-room TV', clientLogoUri: 'https://tv.example/logo.svg' });
  });

  it('for a client without name or logo, should name it by its client id', async () => {
    const { describer, returnUrl } = await loginRedirected(aClient({ clientName: undefined }));
    expect(await describer.describe(returnUrl, cookiesOf())).toEqual({ clientName: 'tv' });
  });

  it('for another page\'s returnUrl, or /device without a request, should answer undefined', async () => {
    const { describer, returnUrl } = await loginRedirected();
    const request = new URLSearchParams(returnUrl.slice(returnUrl.indexOf('?'))).get('request') ?? '';
    for (const other of [`/connect/authorize/callback?ctx=${request}`, `/devices?request=${request}`, '/device', '/device?userCode=BCDF-GHJK', '/']) {
      expect(await describer.describe(other, cookiesOf())).toBeUndefined();
    }
  });

  it('for an unreadable or foreign request, should answer undefined, never throw', async () => {
    const { describer, provider } = await loginRedirected();
    const interactionProtector = provider.createProtector(...DATA_PROTECTION_PURPOSES.deviceInteraction);
    const otherPurpose = provider.createProtector(...DATA_PROTECTION_PURPOSES.antiforgery);
    const requests = [
      'not-protected',
      '%%%',
      // protected for another purpose (an anti-forgery token)
      await otherPurpose.protect(JSON.stringify({ c: 'cookie-of-this-browser' })),
      // ours, but not JSON, not an object, or without a code
      await interactionProtector.protect('{not json'),
      await interactionProtector.protect('null'),
      await interactionProtector.protect(JSON.stringify({ browser: 'x' })),
    ];
    for (const request of requests) {
      expect(await describer.describe(`/device?${new URLSearchParams({ request })}`, cookiesOf())).toBeUndefined();
    }
  });

  it('for an interaction started in another browser, or without the anti-forgery cookie, should answer undefined', async () => {
    const { describer, returnUrl } = await loginRedirected();
    expect(await describer.describe(returnUrl, cookiesOf('cookie-of-another-browser'))).toBeUndefined();
    expect(await describer.describe(returnUrl, { cookies: {} })).toBeUndefined();
  });

  it('once the interaction expired, the device decided or its client was disabled, should answer undefined', async () => {
    const expired = await loginRedirected();
    expired.clock.advance(DEVICE_INTERACTION_LIFETIME_MS + 1_000);
    expect(await expired.describer.describe(expired.returnUrl, cookiesOf())).toBeUndefined();

    const decided = await loginRedirected();
    const authorization = await decided.deviceCodes.findByUserCode(decided.device.userCode);
    if (!authorization) throw new Error('no authorization');
    await decided.deviceCodes.decide(authorization, { approved: false });
    expect(await decided.describer.describe(decided.returnUrl, cookiesOf())).toBeUndefined();

    const disabled = await loginRedirected();
    disabled.clients.clients.set('tv', aClient({ enabled: false }));
    expect(await disabled.describer.describe(disabled.returnUrl, cookiesOf())).toBeUndefined();
  });
});
