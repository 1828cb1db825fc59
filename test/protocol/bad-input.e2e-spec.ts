import { connect } from 'node:net';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * Hostile or broken requests (issue 2 §8): a JSON error with the right 4xx status, never a 5xx,
 * never a stack trace or framework internals in the body.
 */
describe('bad input', () => {
  let app: TestApp;
  beforeAll(async () => { app = await startTestApp(); });
  afterAll(async () => { await app?.close(); });

  async function expectJsonError(response: Response, statuses: readonly number[]): Promise<Record<string, unknown>> {
    const text = await response.text();
    expect(statuses).toContain(response.status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(text).not.toMatch(/\bat .+\.(ts|js):\d+|node_modules|stack|FST_/i);
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(typeof body.error).toBe('string');
    return body;
  }

  it('an oversize form body, should answer 413 JSON', async () => {
    const body = `grant_type=client_credentials&padding=${'x'.repeat(200 * 1024)}`;
    const response = await fetch(`${app.baseUrl}/connect/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body,
    });
    await expectJsonError(response, [413]);
  });

  it('an oversize JSON body, should answer 413 JSON', async () => {
    const response = await fetch(`${app.baseUrl}/connect/token`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(200 * 1024) }),
    });
    await expectJsonError(response, [413]);
  });

  it('an unknown route, should answer 404 JSON', async () => {
    const body = await expectJsonError(await fetch(`${app.baseUrl}/no/such/endpoint`), [404]);
    expect(body.error).toBe('not_found');
  });

  it('an unknown route with a body, should answer 404 JSON', async () => {
    const response = await fetch(`${app.baseUrl}/connect/nothing`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=b',
    });
    await expectJsonError(response, [404]);
  });

  it('malformed JSON, should answer 4xx JSON', async () => {
    const response = await fetch(`${app.baseUrl}/connect/token`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type": ',
    });
    await expectJsonError(response, [400, 415]);
  });

  it('a malformed form body, should answer 4xx JSON', async () => {
    const response = await fetch(`${app.baseUrl}/connect/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '%E0%A4%A&=&&grant_type=%ZZ',
    });
    await expectJsonError(response, [400, 401]);
  });

  it('a body of an unsupported media type, should answer 4xx JSON', async () => {
    const response = await fetch(`${app.baseUrl}/connect/token`, {
      method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'grant_type=client_credentials',
    });
    await expectJsonError(response, [400, 415]);
  });

  it('a token request without grant_type, should be invalid_request', async () => {
    const response = await fetch(`${app.baseUrl}/connect/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'client_id=m2m',
    });
    const body = await expectJsonError(response, [400, 401]);
    expect(['invalid_request', 'invalid_client']).toContain(body.error);
  });

  it('garbage forwarded headers from a trusted proxy, should not break discovery', async () => {
    const response = await fetch(`${app.baseUrl}/.well-known/openid-configuration`, {
      headers: { 'x-forwarded-for': 'garbage, ,[::1', 'x-forwarded-proto': 'gopher', 'x-forwarded-host': 'a b' },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { issuer: string }).issuer).toBe(app.baseUrl);
  });

  it('a malformed Host header, should not become the issuer', async () => {
    const port = new URL(app.baseUrl).port;
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('GET /.well-known/openid-configuration HTTP/1.1\r\nHost: evil.example/<script>\r\nConnection: close\r\n\r\n');
      });
      let data = '';
      socket.on('data', (chunk: Buffer) => { data += chunk.toString(); });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    const [head, body] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    // The issuer falls back to the address the connection arrived on.
    expect((JSON.parse(body) as { issuer: string }).issuer).toBe(`http://127.0.0.1:${port}`);
    expect(raw).not.toContain('<script>');
  });

  it('a percent-encoding error in the path, should answer 400 invalid_request JSON', async () => {
    const body = await expectJsonError(await fetch(`${app.baseUrl}/connect/%ZZ`), [400]);
    expect(body.error).toBe('invalid_request');
  });

  it('a percent-encoding error in the query string, should not answer 5xx', async () => {
    const response = await fetch(`${app.baseUrl}/.well-known/openid-configuration?x=%E0%A4%A`);
    expect(response.status).toBeLessThan(500);
  });
});
