import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, compactVerify, CompactSign, importJWK, type CryptoKey } from 'jose';
import { ConfigError } from '../config/config-error';
import { loadStaticCredentials } from './static-credentials.loader';
import { keyConfig } from '../../test/support/fakes/key-management.fakes';

/** Fixtures made with the openssl command line, as an operator would make them. */
describe('loadStaticCredentials', () => {
  let dir: string;
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'km-creds-'));
    openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'rsa.pem');
    openssl('req', '-x509', '-key', 'rsa.pem', '-subj', '/CN=static signing', '-days', '30', '-out', 'rsa.crt');
    writeFileSync(file('rsa-cert-key.pem'), readFileSync(file('rsa.crt'), 'utf8') + readFileSync(file('rsa.pem'), 'utf8'));
    openssl('pkcs12', '-export', '-inkey', 'rsa.pem', '-in', 'rsa.crt', '-passout', 'pass:s3cret', '-out', 'rsa.pfx');
    openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'p256.pem');
    openssl('req', '-x509', '-key', 'p256.pem', '-subj', '/CN=ec signing', '-days', '30', '-out', 'p256.crt');
    openssl('pkcs12', '-export', '-inkey', 'p256.pem', '-in', 'p256.crt', '-passout', 'pass:s3cret', '-out', 'p256.p12');
    openssl('ecparam', '-name', 'secp384r1', '-genkey', '-noout', '-out', 'p384.pem');
    openssl('pkey', '-in', 'p384.pem', '-pubout', '-out', 'p384.pub.pem');
    openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', 'rsa1024.pem');
    openssl('pkey', '-in', 'rsa.pem', '-aes256', '-passout', 'pass:s3cret', '-out', 'rsa-encrypted.pem');
    writeFileSync(file('mismatch.pem'), readFileSync(file('p256.crt'), 'utf8') + readFileSync(file('rsa.pem'), 'utf8'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const load = (env: Record<string, string>) => loadStaticCredentials(keyConfig(env));
  const failure = async (env: Record<string, string>) => {
    const error = await load(env).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  };

  it('with a PEM private key, should sign with an RFC 7638 thumbprint kid and publish the public key only', async () => {
    const { signing } = await load({ SIGNING_CREDENTIALS: `RS256=${file('rsa.pem')}` });
    expect(signing).toHaveLength(1);
    const [key] = signing;
    expect(key.kid).toBe(await calculateJwkThumbprint(key.publicJwk));
    expect(key.publicJwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: key.kid });
    expect(key.publicJwk).not.toHaveProperty('d');
    expect(key.publicJwk.x5c).toBeUndefined();
    const jws = await new CompactSign(new TextEncoder().encode('hi')).setProtectedHeader({ alg: 'RS256' }).sign(key.privateKey as CryptoKey);
    await expect(compactVerify(jws, await importJWK(key.publicJwk, 'RS256'))).resolves.toBeDefined();
  });

  it('with a PEM certificate and key, should publish x5c, x5t and x5t#S256 of the certificate', async () => {
    const { signing } = await load({ SIGNING_CREDENTIALS: `PS256=${file('rsa-cert-key.pem')}` });
    const jwk = signing[0].publicJwk;
    const der = readFileSync(file('rsa.crt'), 'utf8').replace(/-----[A-Z ]+-----|\s/g, '');
    expect(jwk.x5c).toEqual([der]);
    expect(typeof jwk.x5t).toBe('string');
    expect(typeof jwk['x5t#S256']).toBe('string');
    expect(signing[0].x509).toBe(true);
  });

  it('with PKCS#12 files (RSA and EC) and SIGNING_CREDENTIALS_PASSWORD, should load both in order', async () => {
    const { signing } = await load({
      SIGNING_CREDENTIALS: `RS256=${file('rsa.pfx')},ES256=${file('p256.p12')}`,
      SIGNING_CREDENTIALS_PASSWORD: 's3cret',
    });
    expect(signing.map((k) => [k.alg, k.publicJwk.kty, k.publicJwk.crv])).toEqual([['RS256', 'RSA', undefined], ['ES256', 'EC', 'P-256']]);
    expect(signing.every((k) => k.privateKey !== undefined && k.x509)).toBe(true);
  });

  it('with a wrong PKCS#12 password, should stop start-up naming the password setting', async () => {
    const message = await failure({ SIGNING_CREDENTIALS: `RS256=${file('rsa.pfx')}`, SIGNING_CREDENTIALS_PASSWORD: 'wrong' });
    expect(message).toMatch(/SIGNING_CREDENTIALS: RS256=.*rsa\.pfx: .*wrong or missing SIGNING_CREDENTIALS_PASSWORD/);
  });

  it('with an encrypted PEM key, should use the password, and fail clearly without it', async () => {
    const ok = await load({ SIGNING_CREDENTIALS: `RS256=${file('rsa-encrypted.pem')}`, SIGNING_CREDENTIALS_PASSWORD: 's3cret' });
    expect(ok.signing).toHaveLength(1);
    expect(await failure({ SIGNING_CREDENTIALS: `RS256=${file('rsa-encrypted.pem')}` })).toMatch(/SIGNING_CREDENTIALS_PASSWORD/);
  });

  it.each([
    ['ES256 with an RSA key', 'ES256=rsa.pem', /ES256 needs an EC P-256 key, but the key is RSA/],
    ['ES256 with a P-384 key', 'ES256=p384.pem', /ES256 needs an EC P-256 key, but the key's curve is secp384r1/],
    ['RS256 with an EC key', 'RS256=p256.pem', /RS256 needs an RSA key, but the key is EC/],
    ['RS256 with a 1024-bit key', 'RS256=rsa1024.pem', /at least 2048 bits/],
    ['a certificate of another key', 'RS256=mismatch.pem', /certificate does not belong to the private key/],
    ['a missing file', 'RS256=missing.pem', /cannot read the file \(ENOENT\)/],
    ['a public key only', 'ES384=p384.pub.pem', /no private key found/],
  ])('with %s, should stop start-up with a message naming SIGNING_CREDENTIALS', async (_, setting, expected) => {
    const [alg, name] = setting.split('=');
    const message = await failure({ SIGNING_CREDENTIALS: `${alg}=${file(name)}` });
    expect(message).toContain(`SIGNING_CREDENTIALS: ${alg}=${file(name)}`);
    expect(message).toMatch(expected);
  });

  it('VALIDATION_KEYS should publish public keys and certificates without any private key', async () => {
    const { signing, validation } = await load({ VALIDATION_KEYS: `ES384=${file('p384.pub.pem')},ES256=${file('p256.crt')}` });
    expect(signing).toEqual([]);
    expect(validation.map((k) => [k.alg, k.publicJwk.crv, k.privateKey, k.x509])).toEqual([['ES384', 'P-384', undefined, false], ['ES256', 'P-256', undefined, true]]);
  });

  it('VALIDATION_KEYS with a key that does not fit its algorithm should name VALIDATION_KEYS', async () => {
    expect(await failure({ VALIDATION_KEYS: `ES256=${file('p384.pub.pem')}` })).toMatch(/VALIDATION_KEYS: ES256=.*curve is secp384r1/);
  });

  it('with KEY_MANAGEMENT_ENABLED=false and no static key, should stop start-up', async () => {
    expect(await failure({ KEY_MANAGEMENT_ENABLED: 'false' })).toMatch(/SIGNING_CREDENTIALS: at least one static signing key is required/);
  });

  it('the same key file for two algorithms should publish two distinct kids', async () => {
    const { signing } = await load({ SIGNING_CREDENTIALS: `RS256=${file('rsa.pem')},PS256=${file('rsa.pem')}` });
    expect(signing.map((k) => k.alg)).toEqual(['RS256', 'PS256']);
    expect(signing[1].kid).toBe(`${signing[0].kid}-PS256`);
    expect(signing[1].publicJwk.kid).toBe(signing[1].kid);
  });
});
