// Helpers shared by the bench scripts (compare.mjs, scale.mjs): free ports, the production
// server as a child process, per-process CPU time and peak RSS read from /proc, and a tiny
// cookie-jar "browser" for the device flow's sign-in form.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** The clients and resources every bench server is configured with (written to identity.json). */
export const BENCH_CONFIG = {
  clients: [
    { clientId: 'bench.rs256', clientSecrets: [{ type: 'SharedSecret', value: 'bench-secret' }], allowedGrantTypes: ['client_credentials'], allowedScopes: ['api1'] },
    { clientId: 'bench.es256', clientSecrets: [{ type: 'SharedSecret', value: 'bench-secret' }], allowedGrantTypes: ['client_credentials'], allowedScopes: ['api1'], allowedTokenSigningAlgorithms: ['ES256'] },
    { clientId: 'bench.reference', clientSecrets: [{ type: 'SharedSecret', value: 'bench-secret' }], allowedGrantTypes: ['client_credentials'], allowedScopes: ['api1'], accessTokenType: 'reference' },
  ],
  identityResources: [{ name: 'openid', userClaims: ['sub'] }],
  apiScopes: [{ name: 'api1' }],
  apiResources: [{ name: 'urn:api1', scopes: ['api1'], apiSecrets: [{ type: 'SharedSecret', value: 'api1-secret' }] }],
  users: [],
};

export const FORM = 'application/x-www-form-urlencoded';
export const basic = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** CPU time (user + system, all threads) the process has used so far, in microseconds. */
export function cpuMicros(pid) {
  // /proc/PID/stat: fields 14 and 15 (utime, stime) in clock ticks, after the parenthesised name.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * (1e6 / 100);
}

/** A field of /proc/PID/status in KiB (VmHWM: peak RSS, VmRSS: current RSS). */
export function memoryKiB(pid, field) {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : NaN;
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** The q-quantile (0..1) of `values`, nearest rank. */
export const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
};

export async function waitForHttp(url, child, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with code ${child.exitCode}`);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
}

/** The production build (`dist/src/main.js`) on a free loopback port with `settings` added to the bench defaults. */
export async function startServer({ label, databaseUrl, dir, settings = {}, nodeOptions = [] }) {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    CONFIG_FILE: join(dir, 'identity.json'),
    KEY_MANAGEMENT_SIGNING_ALGORITHMS: 'RS256,ES256',
    KEY_MANAGEMENT_KEY_PATH: join(dir, `keys-${label}`),
    DATA_PROTECTION_KEY_PATH: join(dir, `dp-keys-${label}`),
    DATA_PROTECTION_APPLICATION_NAME: `bench-${label}`,
    LOG_LEVEL: 'warn',
    ...settings,
  };
  const child = spawn(process.execPath, [...nodeOptions, join(process.env.BENCH_DIST ?? 'dist', 'src/main.js')], { env, stdio: ['ignore', process.env.BENCH_SERVER_STDOUT === '1' ? 'inherit' : 'ignore', 'inherit'] });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHttp(`${baseUrl}/.well-known/openid-configuration/jwks`, child);
  return { label, child, baseUrl };
}

export async function stopProcess(child) {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}

export async function postForm(url, fields, headers = {}) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': FORM, ...headers }, body: new URLSearchParams(fields).toString() });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = { text };
  }
  return { status: response.status, body };
}

/** The inputs of the first <form> of `html` (hidden ones included) with its action. */
function firstForm(html) {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error(`no form in page: ${html.slice(0, 300)}`);
  const attribute = (tag, name) => new RegExp(`\\b${name}\\s*=\\s*"([^"]*)"`, 'i').exec(tag)?.[1]?.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
  const fields = {};
  for (const input of form[2].matchAll(/<input\b([^>]*)>/gi)) {
    const name = attribute(input[1], 'name');
    const type = attribute(input[1], 'type');
    if (!name || type === 'submit' || ((type === 'checkbox' || type === 'radio') && !/\bchecked\b/i.test(input[1]))) continue;
    fields[name] = attribute(input[1], 'value') ?? '';
  }
  return { action: attribute(form[1], 'action') ?? '', fields };
}

/** Device flow end to end for a public client: sign-in as `username` on /device, then one poll. */
export async function deviceTokens(baseUrl, clientId, scope, username) {
  const cookies = new Map();
  const navigate = async (url, init = { method: 'GET' }) => {
    let current = new URL(url, baseUrl).toString();
    let request = init;
    for (let hops = 0; hops < 10; hops++) {
      const headers = new Headers(request.headers);
      if (cookies.size) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
      const response = await fetch(current, { ...request, headers, redirect: 'manual' });
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const eq = pair.indexOf('=');
        cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
      }
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.arrayBuffer();
        current = new URL(location, current).toString();
        request = { method: 'GET' };
        continue;
      }
      return { url: current, status: response.status, body: await response.text() };
    }
    throw new Error('too many redirects');
  };
  const submit = (page, fill) => {
    const form = firstForm(page.body);
    return navigate(new URL(form.action || page.url, page.url).toString(), {
      method: 'POST', headers: { 'content-type': FORM }, body: new URLSearchParams({ ...form.fields, ...fill }).toString(),
    });
  };
  const authorization = await postForm(`${baseUrl}/connect/deviceauthorization`, { client_id: clientId, scope });
  if (authorization.status !== 200) throw new Error(`device authorization: ${JSON.stringify(authorization.body)}`);
  const complete = new URL(authorization.body.verification_uri_complete);
  let page = await submit(await navigate(complete.pathname + complete.search), {});
  if (/name="password"/.test(page.body)) page = await submit(page, { username, password: username });
  if (/name="decision"/.test(page.body)) page = await submit(page, { decision: 'allow' });
  const tokens = await postForm(`${baseUrl}/connect/token`, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: clientId, device_code: authorization.body.device_code });
  if (tokens.status !== 200) throw new Error(`device token request: ${tokens.status} ${JSON.stringify(tokens.body)}`);
  return tokens.body;
}

/**
 * node-oidc-provider, which is not a dependency of the project: from BENCH_OIDC_PROVIDER_DIR (a
 * folder where `npm i oidc-provider@9` was run, so the shared node_modules and package files stay
 * untouched) or else from the project's node_modules (`npm i --no-save oidc-provider@9`).
 */
export async function importOidcProvider() {
  const dir = process.env.BENCH_OIDC_PROVIDER_DIR;
  if (!dir) return import('oidc-provider');
  const { createRequire } = await import('node:module');
  const { pathToFileURL } = await import('node:url');
  return import(pathToFileURL(createRequire(join(dir, 'package.json')).resolve('oidc-provider')).href);
}
