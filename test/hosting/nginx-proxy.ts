import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port';

/** The Debian package's binary, or one on PATH; undefined when nginx is not installed. */
export function findNginx(): string | undefined {
  if (existsSync('/usr/sbin/nginx')) return '/usr/sbin/nginx';
  try {
    return execFileSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined; // `command -v` exits 1 when nginx is not on PATH
  }
}

export interface Certificate {
  readonly certPath: string;
  readonly keyPath: string;
  readonly pem: string;
}

/** A self-signed certificate for localhost, made with openssl. */
export function makeSelfSignedCertificate(dir: string): Certificate {
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'ignore' });
  return { certPath, keyPath, pem: readFileSync(certPath, 'utf8') };
}

export interface ProxyOptions {
  /** where requests go, e.g. http://127.0.0.1:41234 */
  readonly upstream: string;
  /** terminate TLS with this certificate; plain http when absent */
  readonly tls?: Certificate;
  /** extra `proxy_set_header` lines (name → nginx value), replacing the defaults of that name */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RunningProxy {
  readonly port: number;
  /** e.g. https://localhost:40123 */
  readonly url: string;
  /** nginx's error log so far (upstream errors name the cause of a 502) */
  errorLog(): string;
  /**
   * Rewrites the `server { … }` part and reloads nginx gracefully (SIGHUP: new workers take the new
   * configuration, old ones finish their requests). Returns at once: callers watch for the change.
   */
  reconfigure(serverBlock: (port: number) => string): void;
  /**
   * How many worker processes nginx runs now. After a reload the old workers live on until their
   * requests are done: back at the configured one, nothing is routed by the old configuration.
   */
  workerCount(): number;
  stop(): Promise<void>;
}

/** The usual reverse-proxy headers: the client's Host, the chain of addresses, the scheme. */
const DEFAULT_HEADERS: Readonly<Record<string, string>> = {
  Host: '$http_host',
  'X-Forwarded-For': '$proxy_add_x_forwarded_for',
  'X-Forwarded-Proto': '$scheme',
};

/**
 * Starts a real nginx in the foreground with its own prefix folder (config, pid file, error log,
 * temp paths) on a free loopback port, and waits until it accepts connections.
 */
export async function startNginx(nginx: string, options: ProxyOptions): Promise<RunningProxy> {
  const headers = { ...DEFAULT_HEADERS, ...options.headers };
  return startNginxServer(nginx, (port) => {
    const listen = options.tls
      ? `listen 127.0.0.1:${port} ssl;\n    ssl_certificate ${options.tls.certPath};\n    ssl_certificate_key ${options.tls.keyPath};`
      : `listen 127.0.0.1:${port};`;
    return `
  server {
    ${listen}
    server_name localhost;
    location / {
      proxy_pass ${options.upstream};
${Object.entries(headers).map(([name, value]) => `      proxy_set_header ${name} "${value}";`).join('\n')}
    }
  }`;
  }, options.tls ? 'https' : 'http');
}

/**
 * Starts a real nginx serving one `server { … }` block, written by `serverBlock` for the free
 * loopback port it is given (the way a documented example is run as written).
 */
export async function startNginxServer(nginx: string, serverBlock: (port: number) => string, scheme: 'http' | 'https'): Promise<RunningProxy> {
  const prefix = mkdtempSync(join(tmpdir(), 'idsrv-nginx-'));
  const port = await freePort();
  const configOf = (block: (port: number) => string): string => `
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
${block(port)}
}
`;
  const configPath = join(prefix, 'nginx.conf');
  writeFileSync(configPath, configOf(serverBlock));
  const child: ChildProcess = spawn(nginx, ['-p', prefix, '-c', configPath, '-e', join(prefix, 'error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  try {
    await waitForPort(port, () => child.exitCode !== null);
  } catch (error) {
    const log = existsSync(join(prefix, 'error.log')) ? readFileSync(join(prefix, 'error.log'), 'utf8') : '';
    child.kill('SIGKILL');
    rmSync(prefix, { recursive: true, force: true });
    throw new Error(`nginx did not start: ${error instanceof Error ? error.message : String(error)}\n${stderr}\n${log}`);
  }

  return {
    port,
    url: `${scheme}://localhost:${port}`,
    reconfigure(block) {
      writeFileSync(configPath, configOf(block));
      child.kill('SIGHUP');
    },
    workerCount() {
      const children = join('/proc', String(child.pid), 'task', String(child.pid), 'children');
      return existsSync(children) ? readFileSync(children, 'utf8').trim().split(/\s+/).filter(Boolean).length : 0;
    },
    errorLog: () => (existsSync(join(prefix, 'error.log')) ? readFileSync(join(prefix, 'error.log'), 'utf8') : ''),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, gaveUp: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (gaveUp()) throw new Error('process exited');
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`port ${port} did not open`);
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** GET over http or https, trusting `ca` (the test's self-signed certificate) for https. */
export async function get(url: string, ca?: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(target, { method: 'GET', headers, ...(ca ? { ca } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once('error', reject);
    req.end();
  });
}
