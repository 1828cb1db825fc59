import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { Clock } from '../../src/common/clock';
import { KeyManager } from '../../src/key-management/key-manager.service';
import { DeviceFlowStore } from '../../src/stores/device-flow.store';
import { PersistedGrantStore } from '../../src/stores/persisted-grant.store';
import { ServerSideSessionStore } from '../../src/stores/server-side-session.store';
import { TokenCleanupService } from '../../src/token-cleanup/token-cleanup.service';
import { TokenExchangeGrantHandler } from '../../src/token-exchange/token-exchange.grant-handler';
import { FakeClock } from '../support/fakes/fake-clock';
import { FormBrowser } from '../support/form-browser';
import { startTestApp, startTestAppWithFixtures, writeJson, type TestApp, type TestAppFixtures } from '../support/test-app';
import { obtainDeviceTokens } from '../interactive/device-helpers';
import { readDoc, section } from '../support/markdown';
import { basicAuth, postForm } from '../token/token-fixtures';

async function scrapeOf(app: TestApp): Promise<string> {
  const response = await fetch(`${app.baseUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The samples of one metric: `{labels}` (as exposed, sorted by name) → value. */
function samplesOf(text: string, name: string): Record<string, number> {
  const samples: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match && match[1] === name) samples[match[2] ?? ''] = Number(match[3]);
  }
  return samples;
}

describe('GET /metrics', () => {
  let app: TestApp;
  beforeAll(async () => { app = await startTestApp(); });
  afterAll(async () => { await app?.close(); });

  const scrape = (): Promise<string> => scrapeOf(app);

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

  it('should count the one load of the clients and resources configuration at start-up', async () => {
    const text = await scrape();
    expect(text).toMatch(/^# TYPE configuration_reloads_total counter$/m);
    expect(samplesOf(text, 'configuration_reloads_total')).toEqual({ '': 1 });
  });
});

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';
const HOUR_S = 3600;
const DAY_S = 24 * HOUR_S;

function createMetricsFixtures(): TestAppFixtures {
  const dir = mkdtempSync(join(tmpdir(), 'idsrv-metrics-'));
  const secret = [{ type: 'SharedSecret', value: 'secret' }];
  const configFile = writeJson(dir, 'identity.json', {
    clients: [
      { clientId: 'm2m', clientSecrets: secret, allowedGrantTypes: ['client_credentials'], allowedScopes: ['api1'] },
      {
        clientId: 'tv', requireClientSecret: false, allowedGrantTypes: [DEVICE_CODE, 'refresh_token'],
        allowedScopes: ['openid', 'api1'], allowOfflineAccess: true,
      },
      { clientId: 'api-gateway', clientSecrets: secret, allowedGrantTypes: [TOKEN_EXCHANGE], allowedScopes: ['openid', 'api1'] },
    ],
    identityResources: [{ name: 'openid', userClaims: ['sub'] }],
    apiScopes: [{ name: 'api1' }],
    apiResources: [{ name: 'urn:api1', scopes: ['api1'], apiSecrets: [] }],
    users: [{ subjectId: '1', username: 'alice', password: 'alice', claims: {} }],
  });
  return { configFile, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Which tokens a token response carried, as `token_type` labels. */
function tokenTypesIn(body: Record<string, unknown>): string[] {
  return ['access_token', 'refresh_token', 'id_token'].filter((name) => typeof body[name] === 'string');
}

describe('GET /metrics, tokens, keys and cleanup (docs/metrics.md)', () => {
  let app: TestApp;
  // Real time, standing still: only the tests move it (key ages), cookies and tokens stay valid.
  const clock = new FakeClock(new Date());
  const started = clock.now();

  beforeAll(async () => {
    app = await startTestAppWithFixtures(createMetricsFixtures(), {
      KEY_MANAGEMENT_SIGNING_ALGORITHMS: 'RS256,ES256',
      KEY_MANAGEMENT_ROTATION_INTERVAL: '30d',
      KEY_MANAGEMENT_PROPAGATION_TIME: '2d',
    }, { grantHandlers: [TokenExchangeGrantHandler], providers: [{ provide: Clock, useValue: clock }] });
  });
  afterAll(async () => { await app?.close(); });

  const scrape = (): Promise<string> => scrapeOf(app);
  const token = (form: Record<string, string>, headers: Record<string, string> = {}) => postForm(`${app.baseUrl}/connect/token`, form, headers);

  it('tokens_issued_total, should count each token of each response by grant, token type and configured client', async () => {
    const expected: Record<string, number> = {};
    const issued = (grantType: string, clientId: string, body: Record<string, unknown>): void => {
      for (const tokenType of tokenTypesIn(body)) {
        const labels = `{grant_type="${grantType}",token_type="${tokenType}",client_id="${clientId}"}`;
        expected[labels] = (expected[labels] ?? 0) + 1;
      }
    };

    for (let i = 0; i < 2; i++) {
      const response = await token({ grant_type: 'client_credentials', scope: 'api1' }, { authorization: basicAuth('m2m', 'secret') });
      expect(response.status).toBe(200);
      expect(tokenTypesIn(response.body)).toEqual(['access_token']);
      issued('client_credentials', 'm2m', response.body);
    }

    const device = await obtainDeviceTokens(app.baseUrl, 'tv', 'openid api1 offline_access', new FormBrowser(app.baseUrl));
    expect(tokenTypesIn(device)).toEqual(['access_token', 'refresh_token', 'id_token']);
    issued(DEVICE_CODE, 'tv', device);

    const refreshed = await token({ grant_type: 'refresh_token', client_id: 'tv', refresh_token: String(device.refresh_token) });
    expect(refreshed.status).toBe(200);
    expect(tokenTypesIn(refreshed.body)).toContain('refresh_token');
    issued('refresh_token', 'tv', refreshed.body);

    // RFC 8693: one access token, counted under the token-exchange grant and the exchanging client.
    const exchanged = await token({
      grant_type: TOKEN_EXCHANGE, subject_token: String(refreshed.body.access_token),
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token', scope: 'api1',
    }, { authorization: basicAuth('api-gateway', 'secret') });
    expect(exchanged.status).toBe(200);
    expect(tokenTypesIn(exchanged.body)).toEqual(['access_token']);
    issued(TOKEN_EXCHANGE, 'api-gateway', exchanged.body);

    expect(expected).toMatchObject({
      '{grant_type="client_credentials",token_type="access_token",client_id="m2m"}': 2,
      [`{grant_type="${DEVICE_CODE}",token_type="id_token",client_id="tv"}`]: 1,
      [`{grant_type="${TOKEN_EXCHANGE}",token_type="access_token",client_id="api-gateway"}`]: 1,
    });
    expect(samplesOf(await scrape(), 'tokens_issued_total')).toEqual(expected);
  });

  it('token_requests_failed_total, should count failed token requests by RFC 6749 error code, with no label from the caller', async () => {
    const before = samplesOf(await scrape(), 'token_requests_failed_total');
    // Exported from the start, so an alert can compare against zero.
    expect(before['{error="invalid_grant"}']).toBe(0);

    const failures: [Promise<{ status: number; body: Record<string, unknown> }>, number, string][] = [
      [token({ grant_type: 'client_credentials' }, { authorization: basicAuth('m2m', 'wrong') }), 401, 'invalid_client'],
      [token({ grant_type: 'client_credentials' }, { authorization: basicAuth('no-such-client-xyz', 'secret') }), 401, 'invalid_client'],
      [token({ grant_type: 'refresh_token', client_id: 'tv', refresh_token: 'not-a-refresh-token' }), 400, 'invalid_grant'],
      [token({ grant_type: 'password-xyz' }, { authorization: basicAuth('m2m', 'secret') }), 400, 'unsupported_grant_type'],
      [token({ grant_type: 'refresh_token' }, { authorization: basicAuth('m2m', 'secret') }), 400, 'unauthorized_client'],
    ];
    for (const [response, status, error] of failures) {
      const answered = await response;
      expect([answered.status, answered.body.error]).toEqual([status, error]);
    }
    // Refused before the controller (not a form): counted from the answer actually sent.
    const json = await fetch(`${app.baseUrl}/connect/token`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":"client_credentials"}',
    });
    expect([json.status, ((await json.json()) as { error: string }).error]).toEqual([415, 'invalid_request']);

    const text = await scrape();
    const after = samplesOf(text, 'token_requests_failed_total');
    const delta = (error: string): number => (after[`{error="${error}"}`] ?? 0) - (before[`{error="${error}"}`] ?? 0);
    expect(['invalid_client', 'invalid_grant', 'unsupported_grant_type', 'unauthorized_client', 'invalid_request'].map(delta))
      .toEqual([2, 1, 1, 1, 1]);
    // Label values come from configuration and the server's own codes only.
    expect(text).not.toContain('no-such-client-xyz');
    expect(text).not.toContain('password-xyz');
    expect(Object.keys(samplesOf(text, 'tokens_issued_total')).filter((labels) => /client_id="(?!m2m"|tv"|api-gateway")/.test(labels))).toEqual([]);
  });

  it('signing_key_age_seconds and signing_key_next_phase_seconds, should follow the clock from the cached key set', async () => {
    const keys = await app.app.get(KeyManager).listKeys();
    expect(keys.map((k) => [k.alg, k.phase])).toEqual([['RS256', 'signing'], ['ES256', 'signing']]);
    const labels = (k: { kid: string; alg: string }) => `{kid="${k.kid}",alg="${k.alg}"}`;
    const createdAgo = (k: { created: Date }) => (clock.now().getTime() - k.created.getTime()) / 1000;

    clock.advance(HOUR_S * 1000);
    let text = await scrape();
    // The first key of each algorithm signs at once, until the rotation interval (30 days).
    // Both were created at start-up, when the clock stood at `started`.
    expect(keys.map(createdAgo)).toEqual([HOUR_S, HOUR_S]);
    expect(samplesOf(text, 'signing_key_age_seconds')).toEqual(Object.fromEntries(keys.map((k) => [labels(k), HOUR_S])));
    expect(samplesOf(text, 'signing_key_next_phase_seconds')).toEqual(Object.fromEntries(keys.map((k) => [labels(k), 30 * DAY_S - HOUR_S])));

    // A rotation announces a successor: it signs after the propagation time (2 days), and so the
    // current key's phase ends then too.
    const rotated = await app.app.get(KeyManager).rotateNow();
    expect(rotated).toHaveLength(2);
    clock.advance(HOUR_S * 1000);
    text = await scrape();
    const now = await app.app.get(KeyManager).listKeys();
    const successors = now.filter((k) => rotated.includes(k.kid));
    expect(successors.map((k) => k.phase)).toEqual(['announced', 'announced']);
    const ages = samplesOf(text, 'signing_key_age_seconds');
    const nextPhases = samplesOf(text, 'signing_key_next_phase_seconds');
    expect(Object.keys(ages)).toHaveLength(4);
    for (const k of successors) {
      expect(ages[labels(k)]).toBe(HOUR_S);
      expect(nextPhases[labels(k)]).toBe(2 * DAY_S - HOUR_S);
    }
    for (const k of keys) expect(nextPhases[labels(k)]).toBe(2 * DAY_S - HOUR_S);
    expect(samplesOf(text, 'signing_keys_unreadable')).toEqual({ '': 0 });
  });

  it('data_protection_key_age_seconds, should be the age of the default key ring key by the clock', async () => {
    const text = await scrape();
    const age = samplesOf(text, 'data_protection_key_age_seconds')[''];
    // The ring's first key was made at start-up; the previous test moved the clock two hours.
    expect(age).toBe((clock.now().getTime() - started.getTime()) / 1000);
    expect(age).toBeGreaterThanOrEqual(2 * HOUR_S);
    clock.advance(DAY_S * 1000);
    expect(samplesOf(await scrape(), 'data_protection_key_age_seconds')['']).toBe(age + DAY_S);
  });

  it('grants_cleaned_total, should count the expired rows cleanup removed, by kind', async () => {
    const past = new Date(clock.now().getTime() - HOUR_S * 1000);
    const grants = app.app.get(PersistedGrantStore);
    const devices = app.app.get(DeviceFlowStore);
    const sessions = app.app.get(ServerSideSessionStore);
    for (let i = 0; i < 3; i++) {
      await grants.store({ key: `metrics-expired-${i}`, type: 'refresh_token', subjectId: '1', clientId: 'tv', creationTime: past, expiration: past, data: 'x' });
    }
    for (let i = 0; i < 2; i++) {
      await devices.store({ deviceCodeHash: `metrics-expired-${i}`, userCode: `metrics-${i}`, clientId: 'tv', creationTime: past, expiration: past, data: 'x' });
    }
    await sessions.create({ key: 'metrics-expired', scheme: 'idsrv', subjectId: '1', sessionId: 'sid-metrics', created: past, renewed: past, expires: past, data: 'x' });

    // The scheduled sweep may run meanwhile: whoever removes a row, it is counted once.
    const rowsBefore = await rowCounts();
    const metricBefore = samplesOf(await scrape(), 'grants_cleaned_total');
    await app.app.get(TokenCleanupService).removeExpired();
    const rowsAfter = await rowCounts();
    const metricAfter = samplesOf(await scrape(), 'grants_cleaned_total');
    expect(await app.app.get(TokenCleanupService).removeExpired()).toEqual({ persistedGrants: 0, deviceCodes: 0, serverSideSessions: 0, attemptCounters: 0 });

    const removed = Object.fromEntries(Object.keys(rowsBefore).map((kind) => [kind, rowsBefore[kind] - rowsAfter[kind]]));
    const counted = Object.fromEntries(Object.keys(rowsBefore).map((kind) => [kind, metricAfter[`{kind="${kind}"}`] - (metricBefore[`{kind="${kind}"}`] ?? 0)]));
    expect(counted).toEqual(removed);
    // The seeded rows at least (rows of the earlier tests may have expired too: the clock moved a day).
    expect(removed.persisted_grant).toBeGreaterThanOrEqual(3);
    expect(removed.device_code).toBeGreaterThanOrEqual(2);
    expect(removed.server_side_session).toBeGreaterThanOrEqual(1);
  });

  it('docs/metrics.md, should list every metric the server registers with its labels, and no other', async () => {
    // A sample of every labelled series, whichever tests ran before.
    expect((await token({ grant_type: 'client_credentials', scope: 'api1' }, { authorization: basicAuth('m2m', 'secret') })).status).toBe(200);
    const text = await scrape();
    const exported = new Map<string, string[]>();
    for (const [, name] of text.matchAll(/^# TYPE (\S+) \S+$/gm)) {
      // prom-client's default process metrics are described as a set, not one by one.
      if (/^(process|nodejs)_/.test(name)) continue;
      const labels = new Set<string>();
      for (const [, labelText] of text.matchAll(new RegExp(`^${name}(?:_bucket|_sum|_count)?\\{([^}]*)\\} `, 'gm'))) {
        for (const [, label] of labelText.matchAll(/(\w+)="/g)) if (label !== 'le') labels.add(label);
      }
      exported.set(name, [...labels].sort());
    }
    const documented = new Map<string, string[]>();
    for (const [, name, labels] of section(readDoc('docs/metrics.md'), 'Metrics the server registers')
      .matchAll(/^\| `(\w+)` \| \w+ \| ([^|]*) \|/gm)) {
      documented.set(name, [...labels.matchAll(/`(\w+)`/g)].map((m) => m[1]).sort());
    }
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(exported));
  });

  async function rowCounts(): Promise<Record<string, number>> {
    const database = app.app.get(DataSource);
    const count = async (table: string): Promise<number> => {
      const [row] = await database.query<{ n: number | string }[]>(`SELECT COUNT(*) AS n FROM ${table}`);
      return Number(row.n);
    };
    return {
      persisted_grant: await count('persisted_grants'),
      device_code: await count('device_codes'),
      server_side_session: await count('server_side_sessions'),
    };
  }
});

describe('GET /metrics, signing keys this instance cannot read', () => {
  it('signing_keys_unreadable, should count stored keys made under another application name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'idsrv-metrics-unreadable-'));
    const shared = { DATABASE_URL: `sqlite:${join(dir, 'shared.sqlite')}` };
    try {
      const first = await startTestApp({ ...shared, DATA_PROTECTION_APPLICATION_NAME: 'app-a' });
      await first.close();
      // Same database, another application name: another key ring, so the stored keys cannot be unprotected.
      const second = await startTestApp({ ...shared, DATA_PROTECTION_APPLICATION_NAME: 'app-b' });
      try {
        expect(samplesOf(await scrapeOf(second), 'signing_keys_unreadable')).toEqual({ '': 1 });
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
