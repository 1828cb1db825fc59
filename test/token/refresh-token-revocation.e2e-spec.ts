import { startTestAppWithFixtures, type TestApp } from '../support/test-app';
import { FormBrowser } from '../support/form-browser';
import { createInteractiveFixtures } from '../interactive/device-fixtures';
import { obtainDeviceTokens } from '../interactive/device-helpers';
import { basicAuth, postForm } from './token-fixtures';

/** RFC 7009 for refresh tokens: only the client they were issued to revokes them; the hint is only a hint. */
describe('POST /connect/revocation, refresh tokens', () => {
  let server: TestApp;
  let browser: FormBrowser;

  beforeAll(async () => {
    server = await startTestAppWithFixtures(createInteractiveFixtures());
    browser = new FormBrowser(server.baseUrl);
  });
  afterAll(() => server?.close());

  async function refreshTokenOf(clientId: string): Promise<string> {
    const tokens = await obtainDeviceTokens(server.baseUrl, clientId, 'openid api1 offline_access', browser);
    return String(tokens.refresh_token);
  }
  const revoke = (form: Record<string, string>, headers: Record<string, string> = {}) =>
    postForm(`${server.baseUrl}/connect/revocation`, form, headers);
  const refresh = (clientId: string, refreshToken: string) =>
    postForm(`${server.baseUrl}/connect/token`, { grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken });

  it('revoked by its (public) client, with or without the right hint, the refresh token no longer works', async () => {
    for (const hint of ['refresh_token', 'access_token']) {
      const token = await refreshTokenOf('tv');
      const response = await revoke({ token, client_id: 'tv', token_type_hint: hint });
      expect([response.status, response.text]).toEqual([200, '']);
      const used = await refresh('tv', token);
      expect([used.status, used.body.error]).toEqual([400, 'invalid_grant']);
    }
  });

  it('another confidential client is refused with invalid_request and the token keeps working', async () => {
    const token = await refreshTokenOf('tv');
    const refused = await revoke({ token }, { authorization: basicAuth('m2m', 'secret') });
    expect([refused.status, refused.body.error]).toEqual([400, 'invalid_request']);
    expect((await refresh('tv', token)).status).toBe(200);
  });

  it('another public client gets the unknown-token answer and the token keeps working', async () => {
    const token = await refreshTokenOf('tv');
    expect((await revoke({ token, client_id: 'tv.reuse' })).status).toBe(200);
    expect((await refresh('tv', token)).status).toBe(200);
  });
});
