import { Injectable } from '@nestjs/common';
import { escapeHtml } from '../../src/protocol/error-page';
import { LoginContextDescriber, type LoginContext } from '../../src/protocol/login-context';
import { DefaultUi } from '../../src/ui/default.ui';
import { ANTIFORGERY_FIELD, Ui, type ErrorPageModel, type LoginPageModel } from '../../src/ui/ui';
import { FormBrowser } from '../support/form-browser';
import { startTestAppWithFixtures, type TestApp } from '../support/test-app';
import { createInteractiveFixtures, REDIRECT_URI } from './interactive-fixtures';

@Injectable()
class BrandedUi extends DefaultUi {
  override loginPage(m: LoginPageModel): string {
    return `<!doctype html><title>ACME sign-in</title><h1>ACME</h1>
<form method="post" action="${escapeHtml(m.action)}">
<input type="hidden" name="${ANTIFORGERY_FIELD}" value="${escapeHtml(m.antiforgeryToken)}">
<input type="hidden" name="returnUrl" value="${escapeHtml(m.returnUrl)}">
${m.clientName ? `<p id="client">${escapeHtml(m.clientName)}</p>` : ''}
<input name="username"><input name="password" type="password"><button>Go</button>
</form>`;
  }

  override errorPage(m: ErrorPageModel): string {
    return `<!doctype html><title>ACME error</title><h1>ACME could not sign you in</h1><p id="code">${escapeHtml(m.error)}</p>`;
  }
}

/** A team's own page flow (`/welcome?app=…`) names its application on the login page. */
@Injectable()
class WelcomeLoginContext extends LoginContextDescriber {
  async describe(returnUrl: string): Promise<LoginContext | undefined> {
    return returnUrl.startsWith('/welcome?') ? { clientName: 'Team portal' } : undefined;
  }
}

/** The README's recipe for swapping the pages works as documented. */
describe('custom UI bound through createApp({ providers })', () => {
  let server: TestApp;

  beforeAll(async () => {
    server = await startTestAppWithFixtures(createInteractiveFixtures(), {}, {
      providers: [{ provide: Ui, useClass: BrandedUi }, { provide: LoginContextDescriber, useClass: WelcomeLoginContext }],
    });
  });

  afterAll(() => server?.close());

  it('should render the team\'s login page and still complete the flow', async () => {
    const browser = new FormBrowser(server.baseUrl);
    const query = new URLSearchParams({
      client_id: 'web', response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid', state: 's',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    });
    const page = await browser.get(`/connect/authorize?${query}`);
    expect(page.body).toContain('<h1>ACME</h1>');
    const done = await browser.submit(page, { username: 'alice', password: 'alice' });
    expect(new URL(done.redirectedTo ?? 'http://x/').searchParams.get('code')).toBeTruthy();
  });

  it('should describe the login page\'s returnUrl with the team\'s LoginContextDescriber', async () => {
    const page = await new FormBrowser(server.baseUrl).get(`/account/login?${new URLSearchParams({ returnUrl: '/welcome?app=portal' })}`);
    expect(page.body).toContain('<p id="client">Team portal</p>');
  });

  it('should render the team\'s error page for a request that must not redirect (unknown client)', async () => {
    const query = new URLSearchParams({ client_id: 'nobody', response_type: 'code', redirect_uri: 'https://evil.example/cb', scope: 'openid' });
    const response = await fetch(`${server.baseUrl}/connect/authorize?${query}`, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    const body = await response.text();
    expect(body).toContain('<h1>ACME could not sign you in</h1>');
    expect(body).toContain('<p id="code">invalid_client</p>');
  });
});
