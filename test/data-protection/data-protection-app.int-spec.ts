import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { DataSource } from 'typeorm';
import type { CliOutput } from '../../src/common/cli-command';
import { DATA_PROTECTION_COMMANDS } from '../../src/data-protection/data-protection.cli';
import { DataProtectionProvider } from '../../src/data-protection/data-protector';
import { KeyRingService } from '../../src/data-protection/key-ring.service';
import { DependencyUnavailableError } from '../../src/common/dependency-unavailable';
import { createTestDatabase } from '../support/postgres';
import { describeIfPostgres, describeIfRedis, startTestApp, type TestApp } from '../support/test-app';
import { makeCertificate, writeCertificate } from './test-certificates';

/**
 * Data protection as the running server wires it: encryption at rest with a master key or
 * certificates (including an old certificate kept for reading), start-up failures that name
 * the setting to fix, restarts that keep the ring, each store, and `data-protection list`.
 */
const masterKey = (): string => randomBytes(32).toString('base64');

function keyFiles(dir: string): { name: string; text: string; json: { id: string; encryption: string; keyMaterial: string } }[] {
  return readdirSync(dir).filter((f) => f.startsWith('key-')).map((name) => {
    const text = readFileSync(join(dir, name), 'utf8');
    return { name, text, json: JSON.parse(text) as { id: string; encryption: string; keyMaterial: string } };
  });
}

function encodingsOf(secret: Buffer): string[] {
  return [secret.toString('base64'), secret.toString('base64url'), secret.toString('hex')];
}

async function protect(app: TestApp, text: string): Promise<string> {
  return app.app.get(DataProtectionProvider).createProtector('tests', 'app').protect(text);
}

async function unprotect(app: TestApp, payload: string): Promise<string> {
  return app.app.get(DataProtectionProvider).createProtector('tests', 'app').unprotect(payload);
}

/**
 * Starts on a ring it cannot decrypt (docs/deployment.md#data-protection): the server runs on hold,
 * reports the keys, creates none, and refuses to protect with a 503 error. Returns the messages.
 */
async function onHold(env: Record<string, string>, storedKeys: () => number): Promise<string> {
  const before = storedKeys();
  const app = await startTestApp(env);
  try {
    const ring = app.app.get(KeyRingService);
    const unreadable = ring.getUnreadableKeys();
    expect(unreadable.length).toBeGreaterThan(0);
    await expect(protect(app, 'refused')).rejects.toBeInstanceOf(DependencyUnavailableError);
    const token = await fetch(`${app.baseUrl}/connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=m2m&client_secret=secret',
    });
    expect(token.status).toBe(503);
    expect(await token.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(storedKeys()).toBe(before);
    return unreadable.map((k) => `${k.id}: ${k.message}`).join('\n');
  } finally {
    await app.close();
  }
}

async function startupError(env: Record<string, string>): Promise<string> {
  let app: TestApp | undefined;
  try {
    app = await startTestApp(env);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  await app.close();
  throw new Error('start-up succeeded');
}

describe('data protection in the application', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dp-app-'));
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('with a master key (file store)', () => {
    it('stores no key material in clear, keeps the ring over a restart, and holds (no new key, 503) on a wrong or missing master key, naming it', async () => {
      const keyPath = join(dir, 'ring');
      const env = { DATA_PROTECTION_KEY_STORE: 'file', DATA_PROTECTION_KEY_PATH: keyPath, DATA_PROTECTION_MASTER_KEY: masterKey() };
      const first = await startTestApp(env);
      const payload = await protect(first, 'protected before restart');
      const key = await first.app.get(KeyRingService).defaultKey();
      await first.close();

      const [file] = keyFiles(keyPath);
      expect(keyFiles(keyPath)).toHaveLength(1);
      expect(file.json.encryption).toBe('master-key');
      expect(decodeProtectedHeader(file.json.keyMaterial)).toMatchObject({ alg: 'A256GCMKW', enc: 'A256GCM' });
      for (const encoding of encodingsOf(key.secret)) expect(file.text).not.toContain(encoding);

      const second = await startTestApp(env);
      try {
        await expect(unprotect(second, payload)).resolves.toBe('protected before restart');
        expect(keyFiles(keyPath)).toHaveLength(1);
      } finally {
        await second.close();
      }

      const count = () => keyFiles(keyPath).length;
      const wrong = await onHold({ ...env, DATA_PROTECTION_MASTER_KEY: masterKey() }, count);
      expect(wrong).toContain('DATA_PROTECTION_MASTER_KEY');
      expect(wrong).toContain(key.id);
      const missing = await onHold({ DATA_PROTECTION_KEY_STORE: 'file', DATA_PROTECTION_KEY_PATH: keyPath }, count);
      expect(missing).toContain('DATA_PROTECTION_MASTER_KEY');
      expect(missing).toContain(key.id);
    });
  });

  describe('with certificates (file store)', () => {
    it('envelopes keys to RSA and EC certificates and reads old keys through DATA_PROTECTION_UNPROTECT_CERTIFICATES', async () => {
      const keyPath = join(dir, 'ring');
      const rsa = await makeCertificate('rsa', 'dp-old');
      const ec = await makeCertificate('ec', 'dp-new');
      const oldFiles = writeCertificate(dir, 'old', rsa);
      const base = { DATA_PROTECTION_KEY_STORE: 'file', DATA_PROTECTION_KEY_PATH: keyPath };

      // 1. the old RSA certificate, given as file paths
      const first = await startTestApp({ ...base, DATA_PROTECTION_CERTIFICATE: oldFiles.certPath, DATA_PROTECTION_CERTIFICATE_KEY: oldFiles.keyPath });
      const oldPayload = await protect(first, 'under the old certificate');
      const oldKey = await first.app.get(KeyRingService).defaultKey();
      await first.close();
      const [oldFile] = keyFiles(keyPath);
      expect(oldFile.json.encryption).toBe('certificate');
      expect(decodeProtectedHeader(oldFile.json.keyMaterial)).toMatchObject({ alg: 'RSA-OAEP-256', enc: 'A256GCM' });
      for (const encoding of encodingsOf(oldKey.secret)) expect(oldFile.text).not.toContain(encoding);

      // 2. renewed to an EC certificate given as PEM content; the old one only reads
      const renewed = {
        ...base,
        DATA_PROTECTION_CERTIFICATE: ec.certificatePem,
        DATA_PROTECTION_CERTIFICATE_KEY: ec.privateKeyPem,
        DATA_PROTECTION_UNPROTECT_CERTIFICATES: `${oldFiles.certPath}|${oldFiles.keyPath}`,
      };
      const second = await startTestApp(renewed);
      let newKeyId: string;
      try {
        await expect(unprotect(second, oldPayload)).resolves.toBe('under the old certificate');
        // a new key (here: after revoking the old one) is enveloped to the new certificate
        await second.app.get(KeyRingService).revokeKey(oldKey.id);
        newKeyId = (await second.app.get(KeyRingService).defaultKey()).id;
      } finally {
        await second.close();
      }
      const newFile = keyFiles(keyPath).find((f) => f.json.id === newKeyId);
      expect(newFile?.json.encryption).toBe('certificate');
      expect(decodeProtectedHeader(newFile?.json.keyMaterial ?? '')).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM' });

      // 3. the old certificate alone cannot read the new key: the server holds and names what to configure
      const message = await onHold({ ...base, DATA_PROTECTION_CERTIFICATE: oldFiles.certPath, DATA_PROTECTION_CERTIFICATE_KEY: oldFiles.keyPath },
        () => keyFiles(keyPath).length);
      expect(message).toContain(newKeyId);
      expect(message).toContain('DATA_PROTECTION_UNPROTECT_CERTIFICATES');
    });

    it('refuses a certificate whose private key does not match, and a malformed unprotect list, naming the variable', async () => {
      const one = writeCertificate(dir, 'one', await makeCertificate('ec', 'one'));
      const two = writeCertificate(dir, 'two', await makeCertificate('ec', 'two'));
      const base = { DATA_PROTECTION_KEY_STORE: 'file', DATA_PROTECTION_KEY_PATH: join(dir, 'ring') };
      expect(await startupError({ ...base, DATA_PROTECTION_CERTIFICATE: one.certPath, DATA_PROTECTION_CERTIFICATE_KEY: two.keyPath }))
        .toMatch(/DATA_PROTECTION_CERTIFICATE: the private key does not belong/);
      expect(await startupError({ ...base, DATA_PROTECTION_CERTIFICATE: join(dir, 'missing.pem'), DATA_PROTECTION_CERTIFICATE_KEY: one.keyPath }))
        .toMatch(/DATA_PROTECTION_CERTIFICATE: cannot read/);
      expect(await startupError({ ...base, DATA_PROTECTION_UNPROTECT_CERTIFICATES: one.certPath }))
        .toMatch(/DATA_PROTECTION_UNPROTECT_CERTIFICATES: entry 1 must be CERT_PATH\|KEY_PATH/);
    });
  });

  describe('without encryption at rest', () => {
    it('warns at start-up that keys are stored unencrypted', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const app = await startTestApp({ DATA_PROTECTION_KEY_STORE: 'file', DATA_PROTECTION_KEY_PATH: join(dir, 'ring') });
      await app.close();
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/stored unencrypted.*DATA_PROTECTION_MASTER_KEY/));
    });
  });

  describe('database store (SQLite file)', () => {
    it('keeps the encrypted ring in data_protection_keys across restarts', async () => {
      const env = { DATABASE_URL: `sqlite:${join(dir, 'identity.sqlite')}`, DATA_PROTECTION_MASTER_KEY: masterKey() };
      const first = await startTestApp(env);
      const payload = await protect(first, 'in the database');
      const key = await first.app.get(KeyRingService).defaultKey();
      const rows = await first.app.get(DataSource).query('SELECT * FROM data_protection_keys') as Record<string, unknown>[];
      await first.close();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ id: key.id, application_name: 'identity-server', encryption: 'master-key' });
      for (const encoding of encodingsOf(key.secret)) expect(JSON.stringify(rows)).not.toContain(encoding);
      const second = await startTestApp(env);
      try {
        await expect(unprotect(second, payload)).resolves.toBe('in the database');
      } finally {
        await second.close();
      }
    });
  });

  describe('`data-protection list`', () => {
    it('prints the keys as docs/cli.md JSON and as a table', async () => {
      const app = await startTestApp({ DATA_PROTECTION_KEY_STORE: 'file', DATA_PROTECTION_KEY_PATH: join(dir, 'ring'), DATA_PROTECTION_MASTER_KEY: masterKey() });
      try {
        const key = await app.app.get(KeyRingService).defaultKey();
        const [command] = DATA_PROTECTION_COMMANDS;
        expect(command.name).toBe('data-protection list');
        const printed: unknown[] = [];
        const lines: string[] = [];
        const out: CliOutput = { json: (v) => printed.push(v), line: (l) => lines.push(l), error: (l) => lines.push(l) };
        expect(await command.run(app.app, { argv: [], json: true }, out)).toBe(0);
        expect(printed).toEqual([{ keys: [{
          id: key.id,
          created: key.creationDate.toISOString(),
          activation: key.activationDate.toISOString(),
          expiration: key.expirationDate.toISOString(),
          revoked: false,
        }] }]);
        expect(lines).toEqual([]);
        expect(await command.run(app.app, { argv: [], json: false }, out)).toBe(0);
        expect(lines.join('\n')).toContain(key.id);
        expect(lines[1]).toMatch(/^id\s+created\s+activation\s+expiration\s+revoked\s+default$/);
      } finally {
        await app.close();
      }
    });
  });
});

describeIfRedis('data protection with the Redis store', () => {
  it('two servers sharing Redis and the application name read each other\'s payloads', async () => {
    const env = {
      REDIS_URL: process.env.TEST_REDIS_URL ?? '',
      DATA_PROTECTION_KEY_STORE: 'redis',
      DATA_PROTECTION_APPLICATION_NAME: `dp-app-test-${randomBytes(6).toString('hex')}`,
      DATA_PROTECTION_MASTER_KEY: masterKey(),
    };
    const [a, b] = await Promise.all([startTestApp(env), startTestApp(env)]);
    try {
      expect((await a.app.get(KeyRingService).defaultKey()).id).toBe((await b.app.get(KeyRingService).defaultKey()).id);
      await expect(unprotect(b, await protect(a, 'via redis'))).resolves.toBe('via redis');
      const keys = await a.app.get(KeyRingService).listKeys();
      expect(keys.keys).toHaveLength(1);
    } finally {
      const redis = a.app.get(KeyRingService);
      expect(redis.location).toContain(`${env.DATA_PROTECTION_APPLICATION_NAME}:data-protection:keys`);
      await a.close();
      await b.close();
      const { default: Redis } = await import('ioredis');
      const client = new Redis(env.REDIS_URL);
      await client.del(`${env.DATA_PROTECTION_APPLICATION_NAME}:data-protection:keys`);
      client.disconnect();
    }
  });
});

describeIfPostgres('data protection with the PostgreSQL database store', () => {
  it('servers started at once on one fresh database create one key and read each other\'s payloads', async () => {
    const database = await createTestDatabase();
    const apps: TestApp[] = [];
    try {
      const env = { DATABASE_URL: database.url, DATA_PROTECTION_MASTER_KEY: masterKey() };
      apps.push(...await Promise.all([startTestApp(env), startTestApp(env), startTestApp(env)]));
      const ids = await Promise.all(apps.map(async (app) => (await app.app.get(KeyRingService).defaultKey()).id));
      expect(new Set(ids).size).toBe(1);
      const rows = await apps[0].app.get(DataSource).query('SELECT id, encryption FROM data_protection_keys') as { id: string; encryption: string }[];
      expect(rows).toEqual([{ id: ids[0], encryption: 'master-key' }]);
      await expect(unprotect(apps[2], await protect(apps[0], 'via postgres'))).resolves.toBe('via postgres');
    } finally {
      for (const app of apps) await app.close();
      await database.drop();
    }
  });
});
