import { startTestApp, type TestApp } from '../support/test-app';

/** The request id shown on error pages (and written with error logs) is Fastify's request.id. */
describe('request id', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });

  afterAll(async () => {
    await app.close();
  });

  const errorPage = (headers: Record<string, string> = {}) =>
    fetch(`${app.baseUrl}/connect/authorize?client_id=a&client_id=b`, { headers }).then(async (response) => {
      expect(response.headers.get('content-type')).toContain('text/html');
      return response.text();
    });

  it('with a sane x-request-id, should show that id on the error page', async () => {
    expect(await errorPage({ 'x-request-id': 'edge-7f3a.1' })).toContain('<dd id="request-id">edge-7f3a.1</dd>');
  });

  it('without one, or with an unsafe one, should show a fresh random UUID', async () => {
    const uuid = /<dd id="request-id">([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})</;
    const first = uuid.exec(await errorPage())?.[1];
    const second = uuid.exec(await errorPage({ 'x-request-id': 'x'.repeat(65) }))?.[1];
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
  });
});
