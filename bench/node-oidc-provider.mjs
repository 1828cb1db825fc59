// Same-machine reference: node-oidc-provider 9 serving client_credentials JWT access tokens,
// driven exactly like bench/run.mjs drives this server (32 connections, 3 s warm-up, 10 s).
// Not a dependency of the project: `npm i --no-save oidc-provider@9 && node bench/node-oidc-provider.mjs`,
// or install it in a folder of its own and set BENCH_OIDC_PROVIDER_DIR to that folder (see lib.mjs).
// compare.mjs starts the same provider (`node bench/node-oidc-provider.mjs serve`) next to this server.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { importOidcProvider } from './lib.mjs';

const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const duration = Number(process.env.BENCH_DURATION ?? 10);
const warmup = Number(process.env.BENCH_WARMUP ?? 3);

if (process.argv[2] === 'serve') {
  // Child process: one provider with one client, an RS256 and an ES256 key, and three resources:
  // urn:api1 gets RS256 JWT access tokens, urn:api2 ES256 JWTs, urn:api3 opaque tokens (kept by
  // the provider's default in-memory adapter) for introspection.
  const { default: Provider, errors } = await importOidcProvider();
  const { generateKeyPair, exportJWK } = await import('jose');
  const jwk = async (alg, kid) => ({ ...(await exportJWK((await generateKeyPair(alg, { extractable: true })).privateKey)), alg, use: 'sig', kid });
  const resources = {
    'urn:api1': { scope: 'api1', audience: 'urn:api1', accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } },
    'urn:api2': { scope: 'api1', audience: 'urn:api2', accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } },
    'urn:api3': { scope: 'api1', audience: 'urn:api3', accessTokenFormat: 'opaque' },
  };
  const provider = new Provider(`http://127.0.0.1:${process.env.PORT}`, {
    jwks: { keys: [await jwk('RS256', 'k1'), await jwk('ES256', 'k2')] },
    clients: [{
      client_id: 'm2m', client_secret: 'secret', grant_types: ['client_credentials'], redirect_uris: [],
      response_types: [], token_endpoint_auth_method: 'client_secret_basic',
    }],
    scopes: ['api1'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'urn:api1',
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, indicator) => {
          if (!resources[indicator]) throw new errors.InvalidTarget();
          return resources[indicator];
        },
      },
    },
  });
  provider.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'));
} else {
  try {
    await importOidcProvider();
  } catch {
    process.stderr.write('oidc-provider is not installed: npm i --no-save oidc-provider@9\n');
    process.exit(1);
  }
  const rows = [];
  for (const alg of ['RS256', 'ES256']) {
    const port = await freePort();
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve'], {
      env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise((resolve) => child.stdout.on('data', (d) => String(d).includes('ready') && resolve()));
    const options = {
      url: `http://127.0.0.1:${port}/token`, method: 'POST', connections,
      headers: { authorization: `Basic ${Buffer.from('m2m:secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&scope=api1&resource=${alg === 'ES256' ? 'urn:api2' : 'urn:api1'}`,
    };
    await autocannon({ ...options, duration: warmup });
    const result = await autocannon({ ...options, duration });
    child.kill();
    rows.push({ scenario: `node-oidc-provider client_credentials ${alg} JWT`, 'req/s': Math.round(result.requests.average),
      'p50 ms': result.latency.p50, 'p99 ms': result.latency.p99, failures: result.non2xx + result.errors });
  }
  console.table(rows);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    }).on('error', reject);
  });
}
