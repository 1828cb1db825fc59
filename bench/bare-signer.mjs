// Reference point for the benchmark: the least a client_credentials token endpoint can do on
// node:http — check Basic credentials, read the form, sign a JWT with jose. Run by run.mjs with
// PORT and ALG (RS256 or ES256) so our server's figures can be read against it on the same machine.
import { createServer } from 'node:http';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';

const alg = process.env.ALG ?? 'RS256';
const { privateKey } = await generateKeyPair(alg);
const expected = createHash('sha256').update('bench.bare:bench-secret').digest();

createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    const header = req.headers.authorization ?? '';
    const presented = createHash('sha256').update(Buffer.from(header.slice(6), 'base64').toString()).digest();
    const form = new URLSearchParams(Buffer.concat(chunks).toString());
    if (!timingSafeEqual(presented, expected) || form.get('grant_type') !== 'client_credentials') {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ iss: 'http://127.0.0.1', aud: 'urn:api1', client_id: 'bench.bare', scope: form.get('scope'), iat: now, nbf: now, exp: now + 3600, jti: randomUUID() })
      .setProtectedHeader({ alg, typ: 'at+jwt', kid: 'bare' }).sign(privateKey);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify({ access_token: jwt, token_type: 'Bearer', expires_in: 3600, scope: form.get('scope') }));
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
