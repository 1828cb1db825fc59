import { Injectable } from '@nestjs/common';
import * as client from 'openid-client';
import type { User } from '../../src/stores/models';
import { UserStore } from '../../src/stores/user.store';
import { FormBrowser } from '../support/form-browser';
import { startTestApp, type TestApp } from '../support/test-app';
import { createInteractiveFixtures, REDIRECT_URI, type InteractiveFixtures } from '../interactive/interactive-fixtures';

/** The README's "Extending through DI" example: a user store of the deployment's own. */
@Injectable()
class DirectoryUserStore extends UserStore {
  private readonly carol: User = { subjectId: 'c-1', username: 'carol', claims: { name: 'Carol Directory' } };

  async validateCredentials(username: string, password: string): Promise<User | undefined> {
    return username === 'carol' && password === 'secret' ? this.carol : undefined;
  }

  async findBySubjectId(subjectId: string): Promise<User | undefined> {
    return subjectId === this.carol.subjectId ? this.carol : undefined;
  }
}

/**
 * `createApp(config, { providers: [{ provide: UserStore, useClass: MyUserStore }] })` as the README shows it: the whole
 * server (login page, tokens, userinfo) uses the replacement, and the demo users are gone.
 */
describe('replacing a store through createApp({ providers })', () => {
  let fixtures: InteractiveFixtures;
  let server: TestApp;

  beforeAll(async () => {
    fixtures = createInteractiveFixtures();
    server = await startTestApp({ CONFIG_FILE: fixtures.configFile }, { providers: [{ provide: UserStore, useClass: DirectoryUserStore }] });
  });

  afterAll(async () => {
    await server?.close();
    fixtures?.remove();
  });

  async function startCodeFlow() {
    const config = await client.discovery(new URL(server.baseUrl), 'web', undefined, client.ClientSecretBasic('secret'), {
      execute: [client.allowInsecureRequests],
    });
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const browser = new FormBrowser(server.baseUrl);
    const loginPage = await browser.get(url.toString());
    expect(loginPage.url).toContain('/account/login');
    return { config, verifier, state, browser, loginPage };
  }

  it('code flow, when the user store is replaced, should sign in its user and serve its claims', async () => {
    const { config, verifier, state, browser, loginPage } = await startCodeFlow();
    const redirected = await browser.submit(loginPage, { username: 'carol', password: 'secret' });
    if (!redirected.redirectedTo) throw new Error(`expected a redirect to the client, got ${redirected.status} at ${redirected.url}`);

    const tokens = await client.authorizationCodeGrant(config, new URL(redirected.redirectedTo), {
      pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: true,
    });
    expect(tokens.claims()?.sub).toBe('c-1');
    const userInfo = await client.fetchUserInfo(config, tokens.access_token, 'c-1');
    expect(userInfo).toMatchObject({ sub: 'c-1', name: 'Carol Directory' });
  });

  it('login, when the user exists only in the configuration file, should be refused', async () => {
    const { browser, loginPage } = await startCodeFlow();
    const refused = await browser.submit(loginPage, { username: 'alice', password: 'alice' });
    expect(refused.redirectedTo).toBeUndefined();
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('Invalid username or password.');
  });
});
