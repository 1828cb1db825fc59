import { createHash } from 'node:crypto';
import { FORM_POST_SCRIPT, FORM_POST_SECURITY_HEADERS, formPostHtml, queryRedirectUrl } from './authorize-response';

describe('authorize responses', () => {
  const base = { redirectUri: 'https://app.example/cb?tenant=a', responseMode: 'query' as const, issuer: 'https://id.example', state: 's"1' };

  it('queryRedirectUrl, should keep the redirect URI\'s own query and add the parameters, state and iss', () => {
    const url = new URL(queryRedirectUrl({ ...base, parameters: { code: 'c1' } }));
    expect(url.origin + url.pathname).toBe('https://app.example/cb');
    expect(Object.fromEntries(url.searchParams)).toEqual({ tenant: 'a', code: 'c1', state: 's"1', iss: 'https://id.example' });
  });

  it('queryRedirectUrl, when there is no state, should not send an empty one', () => {
    const url = new URL(queryRedirectUrl({ ...base, state: undefined, parameters: { error: 'access_denied' } }));
    expect(url.searchParams.has('state')).toBe(false);
  });

  it('formPostHtml, should post escaped values to the redirect URI', () => {
    const html = formPostHtml({ ...base, responseMode: 'form_post', parameters: { code: '<c>' } });
    expect(html).toContain('action="https://app.example/cb?tenant=a"');
    expect(html).toContain('name="code" value="&lt;c&gt;"');
    expect(html).toContain('name="state" value="s&quot;1"');
    expect(html).toContain('name="iss" value="https://id.example"');
  });

  it('formPostHtml, should submit through its one script, after the form, and never through an inline event handler', () => {
    const html = formPostHtml({ ...base, responseMode: 'form_post', parameters: { code: 'c1' } });
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html.match(/<script>/g)).toEqual(['<script>']);
    expect(html.indexOf(`<script>${FORM_POST_SCRIPT}</script>`)).toBeGreaterThan(html.indexOf('</form>'));
  });

  it('the form_post CSP, should allow exactly the page\'s script by its SHA-256 hash and nothing else', () => {
    const hash = createHash('sha256').update(FORM_POST_SCRIPT).digest('base64');
    expect(FORM_POST_SECURITY_HEADERS['content-security-policy']).toBe(`default-src 'none'; script-src 'sha256-${hash}'; base-uri 'none'`);
  });
});
