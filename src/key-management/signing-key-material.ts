// @peculiar/x509 (through tsyringe) needs the metadata polyfill even outside Nest (CLI, unit specs).
import 'reflect-metadata';
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { importJWK, type CryptoKey, type JWK } from 'jose';
import type { SigningAlgorithm } from '../config/app-config';

/** A key ready to use: imported once, public JWK precomputed (hot paths never re-derive). */
export interface LoadedSigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  /** absent for validation-only keys */
  readonly privateKey?: CryptoKey;
  /** public members only, with kid, use, alg (and x5c/x5t when X.509) */
  readonly publicJwk: JWK;
  readonly x509: boolean;
}

/** What a managed key's `data` holds (before data protection). */
export interface SigningKeyPayload {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  /** private JWK */
  readonly jwk: JWK;
  /** base64 DER certificate chain when X.509-wrapped */
  readonly x5c?: readonly string[];
}

/** Our own kids only: safe as file names and log fields. */
export const KID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

const CURVES: Record<string, { namedCurve: string; hash: string }> = {
  ES256: { namedCurve: 'P-256', hash: 'SHA-256' },
  ES384: { namedCurve: 'P-384', hash: 'SHA-384' },
  ES512: { namedCurve: 'P-521', hash: 'SHA-512' },
};

function hashOf(alg: SigningAlgorithm): string {
  return `SHA-${alg.slice(2)}`;
}

/** Web Crypto parameters for generating/importing a key of a JOSE algorithm. */
function generationParams(alg: SigningAlgorithm): webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams {
  if (alg.startsWith('ES')) return { name: 'ECDSA', namedCurve: CURVES[alg].namedCurve };
  return {
    // RFC 7518 §3.3/§3.5: RSA keys of 2048 bits or more
    name: alg.startsWith('PS') ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: hashOf(alg),
  };
}

function newKid(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

function toPublicJwk(jwk: JWK): JWK {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  delete copy.key_ops;
  delete copy.ext;
  return copy as JWK;
}

function base64url(data: Buffer): string {
  return data.toString('base64url');
}

/** JWKS entry (RFC 7517 §4): public members, kid, use, alg, and x5c/x5t/x5t#S256 for certificates. */
export function publishedJwk(publicJwk: JWK, kid: string, alg: SigningAlgorithm, x5c?: readonly string[]): JWK {
  const result: JWK = { ...toPublicJwk(publicJwk), kid, use: 'sig', alg };
  if (x5c && x5c.length > 0) {
    const der = Buffer.from(x5c[0], 'base64');
    result.x5c = [...x5c];
    result.x5t = base64url(createHash('sha1').update(der).digest());
    result['x5t#S256'] = base64url(createHash('sha256').update(der).digest());
  }
  return result;
}

/**
 * Makes a new key pair for `alg` (RSA 2048 for RS and PS, P-256/384/521 for ES), optionally
 * wrapped in a self-signed certificate valid for the key's whole published life.
 */
export async function generateSigningKey(
  alg: SigningAlgorithm,
  options: { readonly x509: boolean; readonly now: Date; readonly lifetimeMs: number },
): Promise<SigningKeyPayload> {
  const kid = newKid();
  const pair = (await webcrypto.subtle.generateKey(generationParams(alg), true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const jwk = (await webcrypto.subtle.exportKey('jwk', pair.privateKey)) as JWK;
  const payload: SigningKeyPayload = { kid, alg, jwk: toStoredJwk(jwk) };
  if (!options.x509) return payload;
  const cert = await createSelfSignedCertificate(alg, pair, kid, options.now, options.lifetimeMs);
  return { ...payload, x5c: [Buffer.from(cert.rawData).toString('base64')] };
}

function toStoredJwk(jwk: JWK): JWK {
  const copy: Record<string, unknown> = { ...jwk };
  delete copy.key_ops;
  delete copy.ext;
  delete copy.alg;
  return copy as JWK;
}

async function createSelfSignedCertificate(
  alg: SigningAlgorithm,
  pair: webcrypto.CryptoKeyPair,
  kid: string,
  now: Date,
  lifetimeMs: number,
): Promise<X509.X509Certificate> {
  // Loaded on first use: only key creation with x5c needs it (about 200 files, 3 MiB of heap).
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto);
  // The certificate is signed PKCS#1 v1.5 for RSA keys (PSS keys included): its signature only
  // has to be readable by relying parties; JWTs are still signed with the configured alg.
  let keys: webcrypto.CryptoKeyPair = pair;
  let signingAlgorithm: webcrypto.Algorithm | webcrypto.EcdsaParams = { name: 'ECDSA', hash: hashOf(alg) } as webcrypto.EcdsaParams;
  if (!alg.startsWith('ES')) {
    const params = { name: 'RSASSA-PKCS1-v1_5', hash: hashOf(alg) };
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', pair.privateKey);
    const spki = await webcrypto.subtle.exportKey('spki', pair.publicKey);
    keys = {
      privateKey: await webcrypto.subtle.importKey('pkcs8', pkcs8, params, false, ['sign']),
      publicKey: await webcrypto.subtle.importKey('spki', spki, params, true, ['verify']),
    };
    signingAlgorithm = params;
  }
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=Signing key ${kid}`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + lifetimeMs),
    keys,
    signingAlgorithm,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
}

/** Imports a stored payload once: private CryptoKey for signing, published public JWK. */
export async function importSigningKeyPayload(payload: SigningKeyPayload): Promise<LoadedSigningKey> {
  const privateKey = await importJWK({ ...payload.jwk, alg: payload.alg }, payload.alg, { extractable: false });
  if (!isCryptoKey(privateKey)) throw new Error(`key ${payload.kid} is not an asymmetric private key`);
  return {
    kid: payload.kid,
    alg: payload.alg,
    privateKey,
    publicJwk: publishedJwk(payload.jwk, payload.kid, payload.alg, payload.x5c),
    x509: (payload.x5c?.length ?? 0) > 0,
  };
}

/** importJWK returns a CryptoKey for asymmetric keys, bytes for symmetric ones. */
export function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && 'algorithm' in value && 'usages' in value;
}
