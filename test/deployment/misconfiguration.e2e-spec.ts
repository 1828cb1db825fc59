import { randomBytes } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { Client } from 'pg';
import { Clock } from '../../src/common/clock';
import { KeyRotationService } from '../../src/key-management/key-rotation.service';
import { FakeClock } from '../support/fakes/fake-clock';
import { createTestDatabase } from '../support/postgres';
import { describeIfPostgres, startTestApp, type TestApp } from '../support/test-app';
import { runCli, type CliRun } from '../support/cli-process';

/*
 * docs/deployment.md#signing-keys-on-hold: a second instance B on A's database with a wrong
 * DATA_PROTECTION_APPLICATION_NAME, then a wrong DATA_PROTECTION_MASTER_KEY, must not change the
 * fleet's keys: no signing key created, no stored row or date changed, even when its rotation
 * check runs at the time A's key needs a successor. B reports it (/health/ready 503, `doctor`),
 * and A keeps signing with the same JWKS.
 */

const DAY = 86_400_000;

interface Finding { readonly id: string; readonly severity: string; readonly message: string; readonly fix: string }

/** The admin CLI (`npm run -s cli -- …`) with B's settings, in its own process. */
function cli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return runCli(args, { ...process.env, NODE_ENV: '', LOG_LEVEL: 'error', ...env });
}

async function doctor(env: Record<string, string>): Promise<{ code: number; findings: Finding[] }> {
  const run = await cli(['doctor', '--json'], env);
  let findings: Finding[];
  try {
    findings = (JSON.parse(run.stdout) as { findings: Finding[] }).findings;
  } catch {
    throw new Error(`doctor printed no JSON (exit ${run.code}): ${run.stdout}\n${run.stderr}`);
  }
  return { code: run.code, findings };
}

/** Every row of both key tables, as stored (key material included: a rewrite would show). */
async function keyRows(url: string): Promise<{ signing: unknown[]; dataProtection: Array<Record<string, unknown>> }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const signing = (await client.query('SELECT * FROM signing_keys ORDER BY id')).rows;
    const dataProtection = (await client.query('SELECT * FROM data_protection_keys ORDER BY id')).rows as Array<Record<string, unknown>>;
    return { signing, dataProtection };
  } finally {
    await client.end();
  }
}

async function clientCredentialsToken(app: TestApp): Promise<string> {
  const response = await fetch(`${app.baseUrl}/connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&client_id=m2m&client_secret=secret',
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function jwksText(app: TestApp): Promise<string> {
  const response = await fetch(`${app.baseUrl}/.well-known/openid-configuration/jwks`);
  expect(response.status).toBe(200);
  return response.text();
}

async function ready(app: TestApp): Promise<{ status: number; deployment?: { status: string; findings: Finding[] } }> {
  const response = await fetch(`${app.baseUrl}/health/ready`);
  const body = (await response.json()) as { error?: { deployment?: { status: string; findings: Finding[] } } };
  return { status: response.status, deployment: body.error?.deployment };
}

describeIfPostgres('a misconfigured second instance never changes the fleet\'s keys (docs/deployment.md#signing-keys-on-hold)', () => {
  const masterKey = randomBytes(32).toString('base64');
  let database: { url: string; drop(): Promise<void> };
  let a: TestApp;
  let aEnv: Record<string, string>;
  let token: string;
  let jwks: string;
  let before: Awaited<ReturnType<typeof keyRows>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    aEnv = { DATABASE_URL: database.url, DATA_PROTECTION_MASTER_KEY: masterKey, DATA_PROTECTION_APPLICATION_NAME: 'fleet-a' };
    a = await startTestApp(aEnv);
    token = await clientCredentialsToken(a);
    jwks = await jwksText(a);
    before = await keyRows(database.url);
    expect(before.signing).toHaveLength(1);
    expect(before.dataProtection.map((r) => r.application_name)).toEqual(['fleet-a']);
  }, 60_000);

  afterAll(async () => {
    await a?.close();
    await database?.drop();
  });

  /** A's keys and tokens as they were: same rows, byte-identical JWKS, its token verifies, a new token has the same kid. */
  async function expectFleetUntouched(): Promise<void> {
    const after = await keyRows(database.url);
    expect(after.signing).toEqual(before.signing);
    expect(after.dataProtection.filter((r) => r.application_name === 'fleet-a')).toEqual(before.dataProtection);
    expect(await jwksText(a)).toBe(jwks);
    const keySet = createLocalJWKSet(JSON.parse(jwks) as JSONWebKeySet);
    await expect(jwtVerify(token, keySet)).resolves.toBeDefined();
    const fresh = await clientCredentialsToken(a);
    expect(decodeProtectedHeader(fresh).kid).toBe(decodeProtectedHeader(token).kid);
    await expect(jwtVerify(fresh, keySet)).resolves.toBeDefined();
  }

  /** Starts B on a fake clock, runs its rotation check now and when A's key is due a successor, and checks what it reports. */
  async function misconfiguredInstance(env: Record<string, string>, expectedFindings: string[]): Promise<void> {
    const clock = new FakeClock(new Date());
    const b = await startTestApp({ ...aEnv, ...env }, { providers: [{ provide: Clock, useValue: clock }] });
    try {
      const rotation = b.app.get(KeyRotationService);
      await rotation.runOnce();
      // A's key reaches rotation − propagation (76 of 90 days): a healthy instance would announce a successor now.
      clock.advance(80 * DAY);
      await rotation.runOnce();
      // B publishes no key it cannot read, and signs nothing: 503, never a 500
      const bToken = await fetch(`${b.baseUrl}/connect/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=m2m&client_secret=secret',
      });
      expect(bToken.status).toBe(503);
      expect(await bToken.json()).toMatchObject({ error: 'temporarily_unavailable' });

      const health = await ready(b);
      expect(health.status).toBe(503);
      expect(health.deployment?.status).toBe('down');
      const found = (health.deployment?.findings ?? []).filter((f) => f.severity === 'error').map((f) => f.id);
      expect(found).toEqual(expect.arrayContaining(expectedFindings));

      clock.advance(DAY);
      await rotation.runOnce();
      await expectFleetUntouched();
    } finally {
      await b.close();
    }
    await expectFleetUntouched();

    const run = await doctor({ ...aEnv, ...env });
    expect(run.findings.length).toBeGreaterThan(0);
    expect(run.findings.filter((f) => f.severity === 'error').map((f) => f.id)).toEqual(expect.arrayContaining(expectedFindings));
    expect(run.code).toBe(1);
    await expectFleetUntouched();

    // `keys rotate` with B's settings refuses rather than announce a key the fleet would then sign with
    const rotate = await cli(['keys', 'rotate', '--json'], { ...aEnv, ...env });
    expect(rotate.code).toBe(1);
    expect(rotate.stderr).toMatch(/Refusing to create a signing key: this instance cannot read 1 stored signing key.*DATA_PROTECTION_/);
    await expectFleetUntouched();
  }

  it('B with another DATA_PROTECTION_APPLICATION_NAME: no key, no date changed, ready 503 naming application-name-mismatch, doctor exits 1', async () => {
    await misconfiguredInstance({ DATA_PROTECTION_APPLICATION_NAME: 'fleet-b' }, ['application-name-mismatch', 'signing-keys-unreadable']);
    // B's own (empty) ring got its first key under its own name, as any first start does; A's ring is untouched.
    const rows = await keyRows(database.url);
    expect(rows.dataProtection.filter((r) => r.application_name !== 'fleet-a').map((r) => r.application_name)).toEqual(['fleet-b']);
  }, 150_000);

  it('B with A\'s application name but another DATA_PROTECTION_MASTER_KEY: no key (signing or ring), ready 503 naming key-ring-unreadable, doctor exits 1', async () => {
    const ringBefore = (await keyRows(database.url)).dataProtection;
    await misconfiguredInstance({ DATA_PROTECTION_MASTER_KEY: randomBytes(32).toString('base64') }, ['key-ring-unreadable', 'signing-keys-unreadable']);
    expect((await keyRows(database.url)).dataProtection).toEqual(ringBefore);
  }, 150_000);
});
