import { constants, KeyObject, sign, type SignKeyObjectInput } from 'node:crypto';
import type { CryptoKey } from 'jose';
import type { SigningAlgorithm } from '../config/app-config';

/**
 * Compact JWS signing (RFC 7515 §7.1) for one imported key — the token endpoint's hot path.
 * jose's SignJWT copies and checks the claims and re-encodes the protected header on every
 * call, and Web Crypto adds its own per-call parameter normalisation; here the protected header
 * is encoded once per `typ` and the signature comes from node:crypto's asynchronous `sign`, which
 * runs on the libuv pool (RSA signing does not block the event loop). Verification stays with jose.
 */
export class JwsSigner {
  /** `typ` → base64url of {"alg","kid","typ"} */
  private readonly encodedHeaders = new Map<string, string>();
  private readonly hash: string;
  private readonly key: SignKeyObjectInput;

  constructor(readonly kid: string, readonly alg: SigningAlgorithm, privateKey: CryptoKey) {
    const keyObject = KeyObject.from(privateKey as Parameters<typeof KeyObject.from>[0]);
    // RFC 7518 §3.1: RS/PS/ES followed by the SHA-2 size.
    this.hash = `sha${alg.slice(2)}`;
    if (alg.startsWith('PS')) {
      // RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash output.
      this.key = { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
    } else if (alg.startsWith('ES')) {
      // RFC 7518 §3.4: R || S, each padded to the curve size — not DER.
      this.key = { key: keyObject, dsaEncoding: 'ieee-p1363' };
    } else {
      this.key = { key: keyObject };
    }
  }

  /** The compact JWS of `payload` (a JSON object) with header {alg, kid, typ}. */
  sign(payload: object, typ: string): Promise<string> {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      return Promise.reject(new TypeError('JWT claims must be a JSON object'));
    }
    const signingInput = `${this.headerFor(typ)}.${Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url')}`;
    return new Promise((resolve, reject) => {
      sign(this.hash, Buffer.from(signingInput, 'ascii'), this.key, (error, signature) => {
        if (error) reject(error);
        else resolve(`${signingInput}.${signature.toString('base64url')}`);
      });
    });
  }

  private headerFor(typ: string): string {
    let encoded = this.encodedHeaders.get(typ);
    if (encoded === undefined) {
      encoded = Buffer.from(JSON.stringify({ alg: this.alg, kid: this.kid, typ }), 'utf8').toString('base64url');
      this.encodedHeaders.set(typ, encoded);
    }
    return encoded;
  }
}
