import { Injectable, Module } from '@nestjs/common';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { Clock } from '../../src/common/clock';
import { DistributedCache } from '../../src/caching/distributed-cache';
import { InMemoryDistributedCache } from '../../src/caching/in-memory-distributed-cache';
import { InvalidGrantError } from '../../src/protocol/protocol-errors';
import type { User } from '../../src/stores/models';
import { UserStore } from '../../src/stores/user.store';
import { GrantHandler, GrantType, type TokenRequest, type TokenResponse } from '../../src/token-endpoint/grants/grant-handler';
import { AccessTokenService } from '../../src/token-issuance/access-token.service';
import { FakeClock } from '../support/fakes/fake-clock';
import { FormBrowser } from '../support/form-browser';
import { startTestAppWithFixtures, type TestApp } from '../support/test-app';
import { createInteractiveFixtures, REDIRECT_URI } from '../interactive/interactive-fixtures';

const MAGIC_LINK = 'urn:example:params:oauth:grant-type:magic-link';

/** The integrator's own directory: a plain, non-global module of theirs. */
@Injectable()
class Directory {
  private readonly users: readonly User[] = [{ subjectId: 'd-7', username: 'dora', claims: { name: 'Dora Directory' } }];
  private readonly passwords = new Map([['dora', 'open-sesame']]);
  private readonly magicCodes = new Map([['magic-123', 'd-7']]);

  find(predicate: (user: User) => boolean): User | undefined {
    return this.users.find(predicate);
  }

  passwordOf(username: string): string | undefined {
    return this.passwords.get(username);
  }

  subjectOfMagicCode(code: string): string | undefined {
    return this.magicCodes.get(code);
  }
}

@Module({ providers: [Directory], exports: [Directory] })
class DirectoryModule {}

/** A UserStore whose dependency (Directory) is visible only through `imports`. */
@Injectable()
class DirectoryUserStore extends UserStore {
  constructor(private readonly directory: Directory) {
    super();
  }

  async validateCredentials(username: string, password: string): Promise<User | undefined> {
    const expected = this.directory.passwordOf(username);
    return expected !== undefined && expected === password ? this.directory.find((u) => u.username === username) : undefined;
  }

  async findBySubjectId(subjectId: string): Promise<User | undefined> {
    return this.directory.find((u) => u.subjectId === subjectId);
  }
}

/** An in-process cache that remembers every key written to it and every key taken from it. */
@Injectable()
class RecordingCache extends InMemoryDistributedCache {
  readonly keysSet: string[] = [];
  readonly keysTaken: string[] = [];

  constructor(clock: Clock) {
    super(clock);
  }

  override async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.keysSet.push(key);
    await super.set(key, value, ttlMs);
  }

  override async addIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    this.keysSet.push(key);
    return super.addIfAbsent(key, value, ttlMs);
  }

  override async take(key: string): Promise<string | undefined> {
    const value = await super.take(key);
    if (value !== undefined) this.keysTaken.push(key);
    return value;
  }
}

/** An extension grant: trades a magic code from the directory for an access token for its user. */
@Injectable()
@GrantType(MAGIC_LINK)
class MagicLinkGrantHandler extends GrantHandler {
  constructor(private readonly directory: Directory, private readonly accessTokens: AccessTokenService) {
    super();
  }

  async handle({ params, client: { client }, origin }: TokenRequest): Promise<TokenResponse> {
    const subject = this.directory.subjectOfMagicCode(params.magic_code ?? '');
    if (subject === undefined) throw new InvalidGrantError('the magic code is not valid');
    const token = await this.accessTokens.createAccessToken({ issuer: origin.issuer, client, subject, scopes: ['api1'], apiResources: [] });
    return { access_token: token.accessToken, token_type: 'Bearer', expires_in: token.expiresIn, scope: token.scope };
  }
}

/**
 * The one extension surface (README.md, "Extending through DI"): a user store with a non-global
 * dependency, a cache, a clock and an extra grant, all through createApp's options.
 */
describe('extension surface: IdentityServerOptions', () => {
  // Close to real time: openid-client refuses ID tokens issued in the future or already expired.
  const clock = new FakeClock(new Date(Math.floor(Date.now() / 1000) * 1000));
  let cache: RecordingCache;
  let server: TestApp;

  beforeAll(async () => {
    cache = new RecordingCache(clock);
    const fixtures = createInteractiveFixtures([{
      clientId: 'magic', clientSecrets: [{ value: 'magic-secret' }], allowedGrantTypes: [MAGIC_LINK], allowedScopes: ['api1'],
    }]);
    server = await startTestAppWithFixtures(fixtures, {}, {
      imports: [DirectoryModule],
      providers: [
        { provide: UserStore, useClass: DirectoryUserStore },
        { provide: DistributedCache, useValue: cache },
        { provide: Clock, useValue: clock },
      ],
      grantHandlers: [MagicLinkGrantHandler],
    });
  });

  afterAll(() => server?.close());

  async function discover(clientId: string, secret: string): Promise<client.Configuration> {
    return client.discovery(new URL(server.baseUrl), clientId, undefined, client.ClientSecretBasic(secret), {
      execute: [client.allowInsecureRequests],
    });
  }

  it('code flow, when the UserStore is bound with a dependency from imports, should sign in its user', async () => {
    const config = await discover('web', 'secret');
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid profile', state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const browser = new FormBrowser(server.baseUrl);
    const loginPage = await browser.get(url.toString());
    const redirected = await browser.submit(loginPage, { username: 'dora', password: 'open-sesame' });
    if (!redirected.redirectedTo) throw new Error(`expected a redirect to the client, got ${redirected.status} at ${redirected.url}`);

    const tokens = await client.authorizationCodeGrant(config, new URL(redirected.redirectedTo), {
      pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: true,
    });
    expect(tokens.claims()).toMatchObject({ sub: 'd-7', iat: clock.now().getTime() / 1000 });
    expect(await client.fetchUserInfo(config, tokens.access_token, 'd-7')).toMatchObject({ name: 'Dora Directory' });
  });

  it('a pushed authorization request, when the DistributedCache is bound, should land in that cache', async () => {
    const before = cache.keysSet.length;
    const response = await fetch(`${server.baseUrl}/connect/par`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('web:secret').toString('base64')}` },
      body: new URLSearchParams({
        client_id: 'web', response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
      }),
    });
    expect(response.status).toBe(201);
    const written = cache.keysSet.slice(before);
    expect(written).toHaveLength(1);

    // the authorization endpoint reads the pushed request back from the same cache
    const { request_uri: requestUri } = (await response.json()) as { request_uri: string };
    const page = await new FormBrowser(server.baseUrl).get(`/connect/authorize?${new URLSearchParams({ client_id: 'web', request_uri: requestUri })}`);
    expect(page.url).toContain('/account/login');
    expect(cache.keysTaken).toContain(written[0]);
  });

  it('tokens, when the Clock is bound, should be issued at the clock\'s time', async () => {
    clock.advance(36 * 3600 * 1000);
    const config = await discover('magic', 'magic-secret');
    const tokens = await client.genericGrantRequest(config, MAGIC_LINK, { magic_code: 'magic-123' });
    const claims = decodeJwt(tokens.access_token);
    expect(claims.iat).toBe(clock.now().getTime() / 1000);
    expect(claims.exp).toBe(clock.now().getTime() / 1000 + 3600);
  });

  it('the extension grant, for a client allowed to use it, should answer at /connect/token with the directory\'s user', async () => {
    const config = await discover('magic', 'magic-secret');
    const tokens = await client.genericGrantRequest(config, MAGIC_LINK, { magic_code: 'magic-123' });
    expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: 'd-7', client_id: 'magic', scope: 'api1' });
    await expect(client.genericGrantRequest(config, MAGIC_LINK, { magic_code: 'wrong' }))
      .rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('the extension grant, for a client not allowed to use it, should be refused with unauthorized_client', async () => {
    const config = await discover('web', 'secret');
    await expect(client.genericGrantRequest(config, MAGIC_LINK, { magic_code: 'magic-123' }))
      .rejects.toMatchObject({ error: 'unauthorized_client' });
  });

  it('discovery, should list the extension grant with the built-in ones', async () => {
    const response = await fetch(`${server.baseUrl}/.well-known/openid-configuration`);
    const document = (await response.json()) as { grant_types_supported: string[] };
    expect(document.grant_types_supported).toEqual([
      'authorization_code', 'client_credentials', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', MAGIC_LINK,
    ]);
  });
});

describe('extension surface: configuration validation against the grant registry', () => {
  it('start-up, when a client lists a grant no handler declares, should stop with its JSON path', async () => {
    const fixtures = createInteractiveFixtures([{
      clientId: 'machine', clientSecrets: [{ value: 's' }], allowedGrantTypes: ['client_credentials', MAGIC_LINK], allowedScopes: ['api1'],
    }]);
    const started = startTestAppWithFixtures(fixtures);
    await expect(started).rejects.toThrow(
      `clients[7].allowedGrantTypes[1]: must be one of authorization_code, client_credentials, refresh_token, urn:ietf:params:oauth:grant-type:device_code, got "${MAGIC_LINK}"`,
    );
  });
});
