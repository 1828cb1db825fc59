import { startTestApp, type TestApp } from '../support/test-app';

describe('GET /metrics', () => {
  let app: TestApp;
  beforeAll(async () => { app = await startTestApp(); });
  afterAll(async () => { await app?.close(); });

  async function scrape(): Promise<string> {
    const response = await fetch(`${app.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  }

  it('should expose process metrics in Prometheus text format', async () => {
    const text = await scrape();
    expect(text).toMatch(/^# TYPE process_cpu_user_seconds_total counter$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it('should count requests by route pattern and status, unmatched routes under one label', async () => {
    await fetch(`${app.baseUrl}/.well-known/openid-configuration`);
    await fetch(`${app.baseUrl}/.well-known/openid-configuration`);
    await fetch(`${app.baseUrl}/no/such/path/123`);
    const text = await scrape();
    expect(text).toMatch(/^http_requests_total\{method="GET",route="\/.well-known\/openid-configuration",status="200"\} 2$/m);
    expect(text).toMatch(/^http_requests_total\{method="GET",route="unmatched",status="404"\} 1$/m);
    expect(text).not.toContain('/no/such/path');
    expect(text).toMatch(/^http_request_duration_seconds_bucket\{le="0.1",method="GET",route="\/.well-known\/openid-configuration",status="200"\} \d+$/m);
  });

  it('should export the ignored-forwarded-headers counter, still 0 when they come from a trusted proxy', async () => {
    // Counting from an untrusted proxy is shown through nginx in test/hosting/nginx-proxy.e2e-spec.ts.
    await fetch(`${app.baseUrl}/health/live`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(await scrape()).toMatch(/^forwarded_headers_ignored_total\{reason="untrusted_proxy"\} 0$/m);
  });
});
