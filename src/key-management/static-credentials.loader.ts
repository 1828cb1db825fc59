import { createPrivateKey, createPublicKey, KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type * as Forge from 'node-forge';
import { calculateJwkThumbprint, importJWK, type CryptoKey, type JWK } from 'jose';
import type { AppConfig, KeyFileSetting, SigningAlgorithm } from '../config/app-config';
import { errorCode } from '../common/error-code';
import { ConfigError } from '../config/config-error';
import { isCryptoKey, publishedJwk, type LoadedSigningKey } from './signing-key-material';

/** Static keys from SIGNING_CREDENTIALS (sign, first one preferred) and VALIDATION_KEYS (publish only). */
export interface StaticKeys {
  readonly signing: readonly LoadedSigningKey[];
  readonly validation: readonly LoadedSigningKey[];
}

interface KeyFileContents {
  readonly privateKey?: KeyObject;
  readonly publicKey: KeyObject;
  /** base64 DER, leaf first */
  readonly x5c: readonly string[];
}

const EC_CURVES: Partial<Record<SigningAlgorithm, { curve: string; name: string }>> = {
  ES256: { curve: 'prime256v1', name: 'P-256' },
  ES384: { curve: 'secp384r1', name: 'P-384' },
  ES512: { curve: 'secp521r1', name: 'P-521' },
};

/**
 * Loads every static key at start-up. Any problem (missing file, wrong password, key that does
 * not fit its algorithm) stops start-up with a ConfigError naming the setting and the file.
 */
export async function loadStaticCredentials(config: AppConfig): Promise<StaticKeys> {
  const problems: string[] = [];
  const load = async (setting: string, entry: KeyFileSetting, needPrivate: boolean): Promise<LoadedSigningKey | undefined> => {
    try {
      const contents = readKeyFile(entry.path, config.signingCredentialsPassword);
      if (needPrivate && !contents.privateKey) throw new Error('no private key found (expected a PEM private key, PEM certificate + key, or PKCS#12)');
      checkAlgorithmFits(entry.alg, contents.publicKey);
      return await toLoadedKey(entry.alg, contents, needPrivate);
    } catch (error) {
      problems.push(`${setting}: ${entry.alg}=${entry.path}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  };
  let signing: LoadedSigningKey[] = [];
  for (const entry of config.signingCredentials) {
    const key = await load('SIGNING_CREDENTIALS', entry, true);
    if (key) signing.push(key);
  }
  let validation: LoadedSigningKey[] = [];
  for (const entry of config.validationKeys) {
    const key = await load('VALIDATION_KEYS', entry, false);
    if (key) validation.push(key);
  }
  [signing, validation] = disambiguateKids(signing, validation);
  if (!config.keyManagement.enabled && config.signingCredentials.length === 0) {
    problems.push('SIGNING_CREDENTIALS: at least one static signing key is required when KEY_MANAGEMENT_ENABLED=false');
  }
  if (problems.length > 0) {
    throw new ConfigError(problems, undefined, 'point the setting at a readable key file that fits its algorithm, with the right '
      + 'SIGNING_CREDENTIALS_PASSWORD for encrypted keys (docs/settings.md#static-keys)');
  }
  return { signing, validation };
}

function readKeyFile(path: string, password: string | undefined): KeyFileContents {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (error) {
    throw new Error(`cannot read the file (${errorCode(error) ?? String(error)})`);
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.pfx' || ext === '.p12') return readPkcs12(data, password);
  return readPem(data.toString('utf8'), password);
}

function readPem(text: string, password: string | undefined): KeyFileContents {
  const blocks = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g)];
  if (blocks.length === 0) throw new Error('not a PEM file (no -----BEGIN ...----- block)');
  let privateKey: KeyObject | undefined;
  let publicKey: KeyObject | undefined;
  const x5c: string[] = [];
  for (const [pem, label] of blocks) {
    if (label.endsWith('PRIVATE KEY')) {
      if (privateKey) continue;
      try {
        privateKey = createPrivateKey({ key: pem, format: 'pem', passphrase: password });
      } catch (error) {
        throw new Error(label.startsWith('ENCRYPTED') || pem.includes('ENCRYPTED')
          ? 'cannot decrypt the private key: wrong or missing SIGNING_CREDENTIALS_PASSWORD'
          : `invalid private key (${error instanceof Error ? error.message : String(error)})`);
      }
    } else if (label === 'CERTIFICATE') {
      x5c.push(new X509Certificate(pem).raw.toString('base64'));
    } else if (label === 'PUBLIC KEY' || label === 'RSA PUBLIC KEY') {
      publicKey ??= createPublicKey(pem);
    }
  }
  return assemble(privateKey, publicKey, x5c);
}

/** node:crypto cannot read PKCS#12, so node-forge opens the container; keys go back to node:crypto. */
function readPkcs12(data: Buffer, password: string | undefined): KeyFileContents {
  // Required on first use: only a PKCS#12 SIGNING_CREDENTIALS file needs node-forge (43 files).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const forge = require('node-forge') as typeof Forge;
  let p12: Forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(data.toString('binary')));
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, password ?? '');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(/password|mac|decrypt/i.test(message)
      ? 'cannot open the PKCS#12 file: wrong or missing SIGNING_CREDENTIALS_PASSWORD'
      : `invalid PKCS#12 file (${message})`);
  }
  let privateKey: KeyObject | undefined;
  const x5c: string[] = [];
  for (const content of p12.safeContents) {
    for (const bag of content.safeBags) {
      if ((bag.type === forge.pki.oids.pkcs8ShroudedKeyBag || bag.type === forge.pki.oids.keyBag) && !privateKey) {
        // forge decodes RSA keys only; others stay as ASN.1 (PrivateKeyInfo), which node reads.
        const info = bag.key ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key)) : bag.asn1;
        if (!info) continue;
        privateKey = createPrivateKey({ key: Buffer.from(forge.asn1.toDer(info).getBytes(), 'binary'), format: 'der', type: 'pkcs8' });
      } else if (bag.type === forge.pki.oids.certBag) {
        const certAsn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : bag.asn1;
        if (certAsn1) x5c.push(Buffer.from(forge.asn1.toDer(certAsn1).getBytes(), 'binary').toString('base64'));
      }
    }
  }
  return assemble(privateKey, undefined, x5c);
}

function assemble(privateKey: KeyObject | undefined, publicKey: KeyObject | undefined, x5c: string[]): KeyFileContents {
  const fromPrivate = privateKey ? createPublicKey(privateKey) : undefined;
  const spki = (k: KeyObject) => k.export({ format: 'der', type: 'spki' }).toString('base64');
  // Put the certificate of this key first (x5c leaf), and refuse a certificate of another key.
  const ownCert = fromPrivate ? x5c.findIndex((c) => spki(certKey(c)) === spki(fromPrivate)) : 0;
  if (fromPrivate && x5c.length > 0 && ownCert < 0) throw new Error('the certificate does not belong to the private key');
  const chain = ownCert > 0 ? [x5c[ownCert], ...x5c.filter((_, i) => i !== ownCert)] : x5c;
  const resolved = fromPrivate ?? publicKey ?? (chain.length > 0 ? certKey(chain[0]) : undefined);
  if (!resolved) throw new Error('no key found in the file');
  return { privateKey, publicKey: resolved, x5c: chain };
}

function certKey(base64Der: string): KeyObject {
  return new X509Certificate(Buffer.from(base64Der, 'base64')).publicKey;
}

function checkAlgorithmFits(alg: SigningAlgorithm, key: KeyObject): void {
  const curve = EC_CURVES[alg];
  if (curve) {
    const actual = key.asymmetricKeyDetails?.namedCurve;
    if (key.asymmetricKeyType !== 'ec') throw new Error(`${alg} needs an EC ${curve.name} key, but the key is ${key.asymmetricKeyType?.toUpperCase()}`);
    if (actual !== curve.curve) throw new Error(`${alg} needs an EC ${curve.name} key, but the key's curve is ${actual}`);
    return;
  }
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`${alg} needs an RSA key, but the key is ${key.asymmetricKeyType?.toUpperCase()}`);
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  // RFC 7518 §3.3: RSA keys of at least 2048 bits
  if (bits < 2048) throw new Error(`${alg} needs an RSA key of at least 2048 bits, got ${bits}`);
}

async function toLoadedKey(alg: SigningAlgorithm, contents: KeyFileContents, withPrivate: boolean): Promise<LoadedSigningKey> {
  const publicJwk = contents.publicKey.export({ format: 'jwk' }) as JWK;
  // RFC 7638 thumbprint: the same kid on every instance sharing the file.
  const kid = await calculateJwkThumbprint(publicJwk);
  let privateKey: CryptoKey | undefined;
  if (withPrivate && contents.privateKey) {
    const imported = await importJWK({ ...(contents.privateKey.export({ format: 'jwk' }) as JWK), alg }, alg, { extractable: false });
    if (!isCryptoKey(imported)) throw new Error('not an asymmetric private key');
    privateKey = imported;
  }
  return {
    kid,
    alg,
    privateKey,
    publicJwk: publishedJwk(publicJwk, kid, alg, contents.x5c),
    x509: contents.x5c.length > 0,
  };
}

/**
 * The same key file listed for two algorithms (e.g. RS256 and PS256) would publish one kid
 * twice; RFC 7517 §4.5 wants kids that tell keys apart, so later duplicates get the alg appended.
 */
function disambiguateKids(signing: LoadedSigningKey[], validation: LoadedSigningKey[]): [LoadedSigningKey[], LoadedSigningKey[]] {
  const seen = new Set<string>();
  const rename = (key: LoadedSigningKey): LoadedSigningKey => {
    if (!seen.has(key.kid)) {
      seen.add(key.kid);
      return key;
    }
    const kid = `${key.kid}-${key.alg}`;
    seen.add(kid);
    return { ...key, kid, publicJwk: { ...key.publicJwk, kid } };
  };
  return [signing.map(rename), validation.map(rename)];
}
