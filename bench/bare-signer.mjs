// Reference point for the benchmark: the least a client_credentials token endpoint can do on
// node:http — check Basic credentials, read the form, sign a JWT with jose. Run by run.mjs with
// PORT and ALG (RS256 or ES256) so our server's figures can be read against it on the same machine.
// compare.mjs runs one process for both: a POST to /es256 signs ES256, any other POST signs with
// ALG (default RS256), and a GET answers a fixed discovery-sized JSON document (what serving a
// cached document costs on bare node:http).
import { createServer } from 'node:http';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';

const alg = process.env.ALG ?? 'RS256';
const keys = { RS256: (await generateKeyPair('RS256')).privateKey, ES256: (await generateKeyPair('ES256')).privateKey };
const expected = createHash('sha256').update('bench.bare:bench-secret').digest();
const base = `http://127.0.0.1:${process.env.PORT}`;
const discovery = JSON.stringify({
  issuer: base, jwks_uri: `${base}/jwks`, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token`,
  userinfo_endpoint: `${base}/userinfo`, introspection_endpoint: `${base}/introspect`, revocation_endpoint: `${base}/revoke`,
  end_session_endpoint: `${base}/endsession`, device_authorization_endpoint: `${base}/device`,
  scopes_supported: ['openid', 'profile', 'api1', 'offline_access'], claims_supported: ['sub', 'name'],
  grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
  response_types_supported: ['code'], response_modes_supported: ['form_post', 'query', 'fragment'],
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
  id_token_signing_alg_values_supported: ['RS256', 'ES256'], subject_types_supported: ['public'],
  code_challenge_methods_supported: ['S256'], request_parameter_supported: true,
});

createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(discovery);
    return;
  }
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
    const signing = req.url === '/es256' ? 'ES256' : alg;
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ iss: 'http://127.0.0.1', aud: 'urn:api1', client_id: 'bench.bare', scope: form.get('scope'), iat: now, nbf: now, exp: now + 3600, jti: randomUUID() })
      .setProtectedHeader({ alg: signing, typ: 'at+jwt', kid: 'bare' }).sign(keys[signing]);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify({ access_token: jwt, token_type: 'Bearer', expires_in: 3600, scope: form.get('scope') }));
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
