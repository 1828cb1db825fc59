import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { KeyManager } from '../../src/key-management/key-manager.service';
import { DependencyUnavailableError } from '../../src/common/dependency-unavailable';
import { SigningService } from '../../src/key-management/signing.service';
import { FlakySigningKeyStore } from '../support/fakes/key-management.fakes';
import { SigningKeyStore } from '../../src/stores/signing-key.store';
import { startTestApp, type TestApp } from '../support/test-app';

/** Private-key members of a JWK and PEM markers: none may appear in clear at rest. */
function containsPrivateKeyMaterial(text: string, privateValues: readonly string[]): boolean {
  // JSON members of a private JWK, escaped or not (a JSON string inside a JSON dump)
  return /PRIVATE KEY|\\?"(d|dp|dq|qi)\\?"\s*:/.test(text) || privateValues.some((v) => text.includes(v));
}

async function jwksOf(app: TestApp) {
  return (await app.app.get(SigningService).getPublishedKeySet()).jwks;
}

describe('key management in the running application', () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('start-up, on an empty database, should create one key per algorithm that signs at once', async () => {
    app = await startTestApp({ KEY_MANAGEMENT_SIGNING_ALGORITHMS: 'RS256,ES256+x509' });
    const jwks = await jwksOf(app);
    expect(jwks.keys.map((k) => k.alg)).toEqual(['RS256', 'ES256']);
    const signing = app.app.get(SigningService);
    const token = await signing.sign({ sub: 'alice' }, { typ: 'at+jwt' });
    expect(jwks.keys.map((k) => k.kid)).toContain(token.kid);
    expect((await signing.verify(token.jwt, { typ: 'at+jwt' })).payload.sub).toBe('alice');

    // Through HTTP too, when the discovery feature serves the JWKS.
    const response = await fetch(`${app.baseUrl}/.well-known/openid-configuration/jwks`);
    if (response.status !== 404) {
      expect(response.status).toBe(200);
      expect(((await response.json()) as { keys: unknown[] }).keys).toEqual(jwks.keys);
    }
  });

  it('at rest, in the database, should hold no private key material in clear (data protection on)', async () => {
    app = await startTestApp({ KEY_MANAGEMENT_SIGNING_ALGORITHMS: 'RS256,ES384' });
    const rows: Array<Record<string, unknown>> = await app.app.get(DataSource).query('SELECT * FROM signing_keys');
    expect(rows).toHaveLength(2);
    const dump = JSON.stringify(rows);
    expect(containsPrivateKeyMaterial(dump, [])).toBe(false);
    // and the public modulus is not there either: the whole key is encrypted
    const rsa = (await jwksOf(app)).keys.find((k) => k.kty === 'RSA');
    expect(dump).not.toContain(String(rsa?.n).slice(0, 40));
  });

  it('at rest, with KEY_MANAGEMENT_DATA_PROTECT_KEYS=false, should store the key in clear (the scan can tell)', async () => {
    app = await startTestApp({ KEY_MANAGEMENT_DATA_PROTECT_KEYS: 'false' });
    const rows: Array<Record<string, unknown>> = await app.app.get(DataSource).query('SELECT * FROM signing_keys');
    expect(containsPrivateKeyMaterial(JSON.stringify(rows), [])).toBe(true);
  });

  it('the file store should write one protected file per key and keep the keys over a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'km-restart-'));
    const env = {
      KEY_MANAGEMENT_KEY_STORE: 'file',
      KEY_MANAGEMENT_KEY_PATH: join(dir, 'keys'),
      KEY_MANAGEMENT_SIGNING_ALGORITHMS: 'PS256,ES512',
      // the data-protection key ring must survive the restart too
      DATABASE_URL: `sqlite:${join(dir, 'identity.sqlite')}`,
    };
    try {
      app = await startTestApp(env);
      const keyPath = join(dir, 'keys');
      const files = readdirSync(keyPath).filter((f) => f.endsWith('.json'));
      const jwks = await jwksOf(app);
      expect(files.sort()).toEqual(jwks.keys.map((k) => `key-${k.kid}.json`).sort());
      for (const file of files) expect(containsPrivateKeyMaterial(readFileSync(join(keyPath, file), 'utf8'), [])).toBe(false);
      expect((await app.app.get(KeyManager).listKeys()).map((k) => k.phase)).toEqual(['signing', 'signing']);
      await app.close();

      app = await startTestApp(env);
      expect(await jwksOf(app)).toEqual(jwks);
      expect(app.app.get(SigningService).getUnreadableKeyIds()).toEqual([]);
      expect(readdirSync(keyPath).filter((f) => f.endsWith('.json'))).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a stored key that cannot be unprotected (other application name) should put the instance on hold: reported, no key of its own, 503, no crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'km-unreadable-'));
    const env = { DATABASE_URL: `sqlite:${join(dir, 'identity.sqlite')}` };
    try {
      app = await startTestApp(env);
      const [original] = (await jwksOf(app)).keys.map((k) => k.kid);
      await app.close();

      app = await startTestApp({ ...env, DATA_PROTECTION_APPLICATION_NAME: 'another-application' });
      const signing = app.app.get(SigningService);
      expect(signing.getUnreadableKeyIds()).toEqual([original]);
      // it makes no key of its own (docs/deployment.md#signing-keys-on-hold) and never publishes what it cannot read
      await expect(signing.sign({ sub: 'alice' })).rejects.toBeInstanceOf(DependencyUnavailableError);
      expect((await jwksOf(app)).keys).toEqual([]);
      const listed = await app.app.get(KeyManager).listKeys();
      expect(listed.map((k) => [k.kid, k.readable])).toEqual([[original, false]]);
      // a token request is told to come back (503), /health is down with the kid in the details
      const token = await fetch(`${app.baseUrl}/connect/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=m2m&client_secret=secret',
      });
      expect(token.status).toBe(503);
      expect(await token.json()).toMatchObject({ error: 'temporarily_unavailable' });
      const health = await fetch(`${app.baseUrl}/health`);
      expect(health.status).toBe(503);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('/health, when the default algorithm has no usable signing key any more, should answer 503 with jwks down until the store is back', async () => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      app = await startTestApp({
        KEY_MANAGEMENT_ROTATION_INTERVAL: '3s', KEY_MANAGEMENT_PROPAGATION_TIME: '2s',
        KEY_MANAGEMENT_RETENTION_DURATION: '1m', KEY_MANAGEMENT_KEY_CACHE_DURATION: '1s',
      }, { providers: [{ provide: SigningKeyStore, useClass: FlakySigningKeyStore }] });
      const baseUrl = app.baseUrl;
      const store = app.app.get(SigningKeyStore);
      if (!(store instanceof FlakySigningKeyStore)) throw new Error('the custom SigningKeyStore was not used');
      const health = async () => {
        const response = await fetch(`${baseUrl}/health`);
        return { status: response.status, body: (await response.json()) as { error: Record<string, { status: string; message?: string }> } };
      };
      const until = async (wanted: number) => {
        const started = Date.now();
        let result = await health();
        while (result.status !== wanted && Date.now() - started < 10_000) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          result = await health();
        }
        return result;
      };
      expect((await health()).status).toBe(200);

      store.down = true; // no successor can be made: the signing key retires with nothing to take over
      const down = await until(503);
      expect(down.status).toBe(503);
      expect(down.body.error.jwks).toMatchObject({ status: 'down', message: expect.stringMatching(/sign/) });
      await expect(app.app.get(SigningService).sign({ sub: 'alice' })).rejects.toThrow(/No usable signing key/);
      // the retired key is still published for its retention
      const jwks = (await (await fetch(`${baseUrl}/.well-known/openid-configuration/jwks`)).json()) as { keys: unknown[] };
      expect(jwks.keys.length).toBeGreaterThan(0);

      store.down = false;
      expect((await until(200)).status).toBe(200);
    } finally {
      jest.restoreAllMocks();
    }
  }, 30_000);

  it('start-up should fail naming SIGNING_CREDENTIALS when the file is missing', async () => {
    await expect(startTestApp({ SIGNING_CREDENTIALS: 'RS256=/nonexistent/key.pem' })).rejects.toThrow(/SIGNING_CREDENTIALS: RS256=\/nonexistent\/key\.pem: cannot read/);
  });
});
