import { decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, jwtVerify } from 'jose';
import { SIGNING_ALGORITHMS } from '../config/app-config';
import { JwsSigner } from './jws-signer';
import { isCryptoKey } from './signing-key-material';

describe('JwsSigner', () => {
  it.each(SIGNING_ALGORITHMS)('sign, with %s, should produce a JWT jose verifies with the public key', async (alg) => {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    // Imported the way stored keys are: from JWK, not extractable.
    const imported = await importJWK({ ...(await exportJWK(privateKey)), alg }, alg, { extractable: false });
    if (!isCryptoKey(imported)) throw new Error('expected a CryptoKey');
    const signer = new JwsSigner('KID12345', alg, imported);
    const claims = { iss: 'https://id.example', aud: ['a', 'b'], scope: 'api1 ü', exp: 4_102_444_800, iat: 1_700_000_000 };

    const jwt = await signer.sign(claims, 'at+jwt');

    const { payload, protectedHeader } = await jwtVerify(jwt, publicKey, { algorithms: [alg], typ: 'at+jwt' });
    expect(payload).toEqual(claims);
    expect(protectedHeader).toEqual({ alg, kid: 'KID12345', typ: 'at+jwt' });
  });

  it('sign, with another typ, should use that typ in the header', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const signer = new JwsSigner('KID12345', 'ES256', privateKey);
    await signer.sign({ a: 1 }, 'at+jwt');
    expect(decodeProtectedHeader(await signer.sign({ a: 1 }, 'JWT')).typ).toBe('JWT');
    expect(decodeProtectedHeader(await signer.sign({ a: 1 }, 'logout+jwt')).typ).toBe('logout+jwt');
  });

  it('sign, with an array as claims, should reject', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    await expect(new JwsSigner('KID12345', 'ES256', privateKey).sign([1, 2], 'JWT')).rejects.toThrow(TypeError);
  });
});
