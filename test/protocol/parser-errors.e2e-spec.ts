import { sendRaw as send, type RawAnswer } from '../support/raw-http';
import { startTestApp, type TestApp } from '../support/test-app';

const CLOSE = 'Host: localhost\r\nConnection: close\r\n';

/**
 * Each parser-level refusal once, with its exact answer (issue 13: raw 0xFF gave Fastify's
 * `{"error":"Bad Request","message":"Client Error","statusCode":400}`): RFC 6749 §5.2 JSON at a
 * JSON endpoint, the error page at a browser's page.
 */
describe('parser-level errors', () => {
  let app: TestApp;
  let port: number;
  beforeAll(async () => {
    app = await startTestApp();
    port = Number(new URL(app.baseUrl).port);
  });
  afterAll(async () => { await app?.close(); });

  function expectJson(answer: RawAnswer, status: number, description: string): void {
    expect(answer.status).toBe(status);
    expect(answer.head).toMatch(/\r\ncontent-type: application\/json/i);
    expect(answer.head).toMatch(/\r\ncache-control: no-store/i);
    expect(JSON.parse(answer.body)).toEqual({ error: 'invalid_request', error_description: description });
  }

  function expectPage(answer: RawAnswer, status: number, description: string): void {
    expect(answer.status).toBe(status);
    expect(answer.head).toMatch(/\r\ncontent-type: text\/html/i);
    // a page like the others: never cached, never framed, no script, no referrer
    expect(answer.head).toMatch(/\r\ncache-control: no-store\r\n/i);
    expect(answer.head).toMatch(/\r\ncontent-security-policy: [^\r]*script-src 'none'[^\r]*frame-ancestors 'none'/i);
    expect(answer.head).toMatch(/\r\nx-frame-options: DENY\r\n/i);
    expect(answer.head).toMatch(/\r\nreferrer-policy: no-referrer\r\n/i);
    // the default page's error code element (its markup is the Ui's; the id is the stable part)
    expect(answer.body).toMatch(/id="error">invalid_request</);
    expect(answer.body).toContain(description);
  }

  it.each<[string, string, number, string]>([
    ['raw 0xFF bytes in the URL', `GET /connect/token\xff HTTP/1.1\r\n${CLOSE}\r\n`, 400, 'the request is malformed'],
    ['17 KB of headers', `GET /connect/userinfo HTTP/1.1\r\n${CLOSE}X-Padding: ${'a'.repeat(17 * 1024)}\r\n\r\n`, 431, 'the request headers are too large'],
    ['a 20 KB URL', `GET /connect/userinfo?q=${'b'.repeat(20 * 1024)} HTTP/1.1\r\n${CLOSE}\r\n`, 414, 'the request URL is too long'],
    ['an HTTP version that does not exist', `GET /connect/userinfo HTTP/3.1\r\n${CLOSE}\r\n`, 505, 'the HTTP version is not supported'],
    ['a Content-Length that is not a number', `POST /connect/token HTTP/1.1\r\n${CLOSE}Content-Length: abc\r\n\r\n`, 400, 'the request is malformed'],
    ['an HTTP/1.1 request without Host', 'GET /connect/userinfo HTTP/1.1\r\nConnection: close\r\n\r\n', 400, 'the Host header is missing'],
    ['a percent-encoding error in the path', `GET /connect/%zz HTTP/1.1\r\n${CLOSE}\r\n`, 400, 'the request URL is malformed'],
  ])('%s at a JSON endpoint, should answer RFC 6749 §5.2 JSON', async (_, request, status, description) => {
    expectJson(await send(port, Buffer.from(request, 'latin1')), status, description);
  });

  it.each<[string, string, number, string]>([
    ['raw 0xFF bytes in the returnUrl', `GET /account/login?returnUrl=/\xff HTTP/1.1\r\n${CLOSE}\r\n`, 400, 'the request is malformed'],
    ['17 KB of headers', `GET /connect/authorize HTTP/1.1\r\n${CLOSE}X-Padding: ${'a'.repeat(17 * 1024)}\r\n\r\n`, 431, 'the request headers are too large'],
    ['a 20 KB URL', `GET /connect/authorize?q=${'b'.repeat(20 * 1024)} HTTP/1.1\r\n${CLOSE}\r\n`, 414, 'the request URL is too long'],
    ['an HTTP version that does not exist', `GET /device HTTP/3.1\r\n${CLOSE}\r\n`, 505, 'the HTTP version is not supported'],
    ['an HTTP/1.1 request without Host', 'GET /connect/endsession HTTP/1.1\r\nConnection: close\r\n\r\n', 400, 'the Host header is missing'],
    ['a percent-encoding error in the provider callback path', `GET /signin/%zz HTTP/1.1\r\n${CLOSE}\r\n`, 400, 'the request URL is malformed'],
    ['malformed JSON', `POST /account/login HTTP/1.1\r\n${CLOSE}Content-Type: application/json\r\nContent-Length: 5\r\n\r\n{abc `, 400, 'the request is malformed'],
    ['a repeated form field', `POST /account/login HTTP/1.1\r\n${CLOSE}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\na=1&a=2`, 400, 'the field a must appear once'],
  ])('%s at a browser page, should answer the error page', async (_, request, status, description) => {
    expectPage(await send(port, Buffer.from(request, 'latin1')), status, description);
  });

  it('a body over 64 KiB at the login page, should answer 413 with the error page', async () => {
    const response = await fetch(`${app.baseUrl}/account/login`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `username=${'x'.repeat(70 * 1024)}`,
    });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('the request body is too large');
  });
});
