import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, type generateKeyPair } from 'jose';
import { FormBrowser } from './form-browser';

/**
 * Bounded mixed OAuth traffic against one origin (a load balancer), every request recorded: which
 * phase it ran in, when it started and ended, its status, which upstream served it (the proxy's
 * `X-Upstream` header), and for failures the error code of the body. Tokens issued with 200 are
 * kept so that a test can check afterwards that none was lost.
 */

export type Operation = 'client_credentials' | 'reference' | 'code_flow' | 'refresh' | 'private_key_jwt' | 'par';

export interface Call {
  readonly phase: string;
  readonly op: Operation | 'check';
  /** e.g. `POST /connect/token` */
  readonly endpoint: string;
  /** HTTP status; 0 when no response arrived */
  readonly status: number;
  readonly ok: boolean;
  readonly start: number;
  readonly end: number;
  /** the proxy's `$upstream_addr`: every upstream tried, comma-separated */
  readonly upstream: string;
  readonly contentType: string;
  /** `error` of a JSON body, or the network error's message */
  readonly error?: string;
  readonly retryAfter?: string;
}

/** A refresh-token family: its current token; `uncertain` once a refresh ended without an answer. */
export interface RefreshFamily {
  current: string;
  uncertain: boolean;
  busy: boolean;
}

export interface MixedLoadClients {
  /** client_credentials with a shared secret, JWT access tokens */
  readonly machine: { readonly id: string; readonly secret: string };
  /** client_credentials with a shared secret, reference access tokens */
  readonly reference: { readonly id: string; readonly secret: string };
  /** the API resource that introspects reference tokens */
  readonly api: { readonly id: string; readonly secret: string };
  /** private_key_jwt client */
  readonly privateKeyJwt: { readonly id: string; readonly key: Awaited<ReturnType<typeof generateKeyPair>>['privateKey']; readonly kid: string; readonly alg: string };
  /** code + PKCE client with refresh tokens, used for PAR too */
  readonly web: { readonly id: string; readonly secret: string; readonly redirectUri: string; readonly scope: string };
  readonly user: { readonly username: string; readonly password: string };
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const MIX: readonly Operation[] = ['client_credentials', 'reference', 'code_flow', 'refresh', 'private_key_jwt', 'par', 'client_credentials', 'reference', 'refresh'];

function basic(id: string, secret: string): string {
  const encode = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
}

export class MixedLoad {
  /** the label of the load's calls */
  phase = 'setup';
  /** the label of a token check's calls (op `check`), which runs beside the load */
  checkPhase = 'check';
  readonly calls: Call[] = [];
  readonly referenceTokens: string[] = [];
  readonly families: RefreshFamily[] = [];
  private running = false;
  private workers: Promise<void>[] = [];

  constructor(private readonly origin: string, private readonly clients: MixedLoadClients) {}

  /** Starts `concurrency` workers, each running the mix in a loop until stop(). */
  start(concurrency: number): void {
    this.running = true;
    this.workers = Array.from({ length: concurrency }, (_, worker) => this.work(worker));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  private async work(worker: number): Promise<void> {
    for (let n = worker; this.running; n++) {
      try {
        await this.run(MIX[n % MIX.length]);
      } catch {
        // a step that got no usable answer is already recorded; the flow is abandoned
      }
    }
  }

  /** One operation of the mix. Each request is recorded; an operation stops at its first failure. */
  async run(op: Operation): Promise<void> {
    switch (op) {
      case 'client_credentials': {
        await this.token(op, basic(this.clients.machine.id, this.clients.machine.secret), { grant_type: 'client_credentials', scope: 'api1' });
        return;
      }
      case 'reference': {
        const issued = await this.token(op, basic(this.clients.reference.id, this.clients.reference.secret), { grant_type: 'client_credentials', scope: 'api1' });
        const token = issued?.access_token;
        if (typeof token !== 'string') return;
        this.referenceTokens.push(token);
        await this.introspect(op, token);
        return;
      }
      case 'code_flow': {
        const tokens = await this.codeFlow();
        const refreshToken = tokens?.refresh_token;
        if (typeof refreshToken !== 'string') return;
        const family: RefreshFamily = { current: refreshToken, uncertain: false, busy: false };
        this.families.push(family);
        await this.refresh(op, family);
        return;
      }
      case 'refresh': {
        const family = this.families.find((f) => !f.busy && !f.uncertain && Math.random() < 0.3) ?? this.families.find((f) => !f.busy && !f.uncertain);
        if (family) await this.refresh(op, family);
        return;
      }
      case 'private_key_jwt':
      case 'par':
        await this.probe(op);
        return;
    }
  }

  /**
   * One request, its call returned: a reference token (needs the database), a token for
   * private_key_jwt (needs the replay cache) or a pushed authorization request (needs the cache).
   */
  async probe(op: 'reference' | 'private_key_jwt' | 'par'): Promise<Call> {
    const { reference, web } = this.clients;
    switch (op) {
      case 'reference':
        return (await this.request(op, '/connect/token', basic(reference.id, reference.secret), { grant_type: 'client_credentials', scope: 'api1' }, [200])).call;
      case 'private_key_jwt':
        return (await this.request(op, '/connect/token', undefined, {
          grant_type: 'client_credentials', scope: 'api1', client_assertion_type: ASSERTION_TYPE, client_assertion: await this.assertion(),
        }, [200])).call;
      case 'par':
        return (await this.request(op, '/connect/par', basic(web.id, web.secret), {
          response_type: 'code', client_id: web.id, redirect_uri: web.redirectUri, scope: web.scope,
          code_challenge: createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'), code_challenge_method: 'S256',
          state: randomUUID(),
        }, [201])).call;
    }
  }

  /** Refreshes a family once: 200 moves it on; an answer without tokens keeps it; no answer makes it uncertain. */
  async refresh(op: Operation | 'check', family: RefreshFamily): Promise<Call> {
    family.busy = true;
    try {
      const { web } = this.clients;
      const { call, body } = await this.request(op, '/connect/token', basic(web.id, web.secret), { grant_type: 'refresh_token', refresh_token: family.current }, [200]);
      if (call.ok && typeof body?.refresh_token === 'string') family.current = body.refresh_token;
      else if (call.status === 0 || call.status === 502 || call.status === 504 || body === undefined) family.uncertain = true;
      return call;
    } finally {
      family.busy = false;
    }
  }

  /** Introspects a reference token; ok only when it is active. */
  async introspect(op: Operation | 'check', token: string): Promise<Call> {
    const { api } = this.clients;
    const { call, body } = await this.request(op, '/connect/introspect', basic(api.id, api.secret), { token }, [200]);
    if (call.ok && body?.active !== true) {
      const inactive = { ...call, ok: false, error: 'inactive' };
      this.calls[this.calls.indexOf(call)] = inactive;
      return inactive;
    }
    return call;
  }

  private async token(op: Operation, authorization: string | undefined, form: Record<string, string>): Promise<Record<string, unknown> | undefined> {
    const { call, body } = await this.request(op, '/connect/token', authorization, form, [200]);
    return call.ok ? body : undefined;
  }

  private async request(
    op: Operation | 'check', path: string, authorization: string | undefined, form: Record<string, string>, expected: number[],
  ): Promise<{ call: Call; body?: Record<string, unknown> }> {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (authorization) headers.authorization = authorization;
    const response = await this.send(op, `${this.origin}${path}`, { method: 'POST', headers, body: new URLSearchParams(form).toString() }, expected);
    return response;
  }

  /** A fetch that records the call; used directly and by the code flow's browser. */
  private readonly recordingFetch: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
    const { response } = await this.send('code_flow', url, init ?? {}, undefined);
    if (!response) throw new Error('no response');
    return response;
  };

  private async send(
    op: Operation | 'check', url: string, init: RequestInit, expected: number[] | undefined,
  ): Promise<{ call: Call; body?: Record<string, unknown>; response?: Response }> {
    const phase = op === 'check' ? this.checkPhase : this.phase;
    const start = Date.now();
    const method = init.method ?? 'GET';
    const endpoint = `${method} ${new URL(url).pathname}`;
    let response: Response;
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
    } catch (error) {
      const call: Call = {
        phase, op, endpoint, status: 0, ok: false, start, end: Date.now(), upstream: '', contentType: '',
        error: error instanceof Error ? `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ''}` : String(error),
      };
      this.calls.push(call);
      return { call };
    }
    const contentType = response.headers.get('content-type') ?? '';
    const upstream = response.headers.get('x-upstream') ?? '';
    const ok = expected ? expected.includes(response.status) : response.status < 400;
    let body: Record<string, unknown> | undefined;
    let returned = response;
    if (expected || !ok) {
      // Read the body here (JSON when it says so); the browser gets a copy.
      const text = await response.text().catch(() => '');
      if (contentType.includes('json')) {
        try { body = JSON.parse(text) as Record<string, unknown>; } catch { body = undefined; }
      }
      returned = new Response(response.status === 204 || response.status === 304 ? null : text, { status: response.status, headers: response.headers });
    }
    const call: Call = {
      phase, op, endpoint, status: response.status, ok, start, end: Date.now(), upstream, contentType,
      ...(ok ? {} : { error: typeof body?.error === 'string' ? body.error : undefined }),
      ...(response.headers.get('retry-after') ? { retryAfter: response.headers.get('retry-after') ?? '' } : {}),
    };
    this.calls.push(call);
    return { call, body, response: returned };
  }

  private async assertion(): Promise<string> {
    const client = this.clients.privateKeyJwt;
    return new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: client.alg, kid: client.kid })
      .setIssuer(client.id).setSubject(client.id).setAudience(`${this.origin}/connect/token`)
      .setIssuedAt().setExpirationTime('1m')
      .sign(client.key);
  }

  /** Authorize → log in → code → token, through a cookie-jar browser whose every request is recorded. */
  private async codeFlow(): Promise<Record<string, unknown> | undefined> {
    const { web, user } = this.clients;
    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL('/connect/authorize', this.origin);
    for (const [name, value] of Object.entries({
      response_type: 'code', client_id: web.id, redirect_uri: web.redirectUri, scope: web.scope, state: randomUUID(), nonce: randomUUID(),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
    })) authorize.searchParams.set(name, value);
    const browser = new FormBrowser(this.origin, this.recordingFetch);
    const loginPage = await browser.get(authorize.toString());
    if (loginPage.status !== 200 || !loginPage.url.includes('/account/login')) return undefined;
    const redirected = await browser.submit(loginPage, { username: user.username, password: user.password });
    const code = redirected.redirectedTo ? new URL(redirected.redirectedTo).searchParams.get('code') : null;
    if (!code) return undefined;
    return this.token('code_flow', basic(web.id, web.secret), {
      grant_type: 'authorization_code', code, redirect_uri: web.redirectUri, code_verifier: verifier,
    });
  }

  /** Calls of one phase. */
  of(phase: string): Call[] {
    return this.calls.filter((c) => c.phase === phase);
  }
}

export interface TokenCheck {
  readonly referenceTokens: number;
  readonly referenceActive: number;
  readonly families: number;
  readonly refreshed: number;
  /** families skipped because a refresh of theirs got no answer (the old token may be spent) */
  readonly uncertain: number;
  readonly failures: Call[];
}

/** How far a check got: the tokens before these indexes were checked. */
export interface CheckedUpTo {
  readonly referenceTokens: number;
  readonly families: number;
}

/**
 * Every reference token issued with 200 must still introspect as active, and every refresh-token
 * family's current token must still refresh; `concurrency` requests at a time. `from` skips the
 * tokens an earlier check covered.
 */
export async function checkIssuedTokens(
  load: MixedLoad, phase: string, from: CheckedUpTo = { referenceTokens: 0, families: 0 }, concurrency = 4,
): Promise<TokenCheck & { readonly upTo: CheckedUpTo }> {
  const upTo = { referenceTokens: load.referenceTokens.length, families: load.families.length };
  const references = load.referenceTokens.slice(from.referenceTokens);
  const families = load.families.slice(from.families).filter((f) => !f.uncertain);
  const calls: Call[] = [];
  const queue: Array<() => Promise<Call>> = [
    ...references.map((token) => () => load.introspect('check', token)),
    ...families.map((family) => async () => {
      // Never alongside the load's own refresh of this family: two refreshes of one token are reuse,
      // which revokes the family. A refresh can take seconds while a dependency is down.
      for (let i = 0; i < 1_500 && family.busy; i++) await new Promise((r) => setTimeout(r, 20));
      if (family.busy) throw new Error('a refresh of the load did not end within 30 s');
      return load.refresh('check', family);
    }),
  ];
  load.checkPhase = phase;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) calls.push(await next());
  }));
  return {
    referenceTokens: references.length,
    referenceActive: calls.filter((c) => c.endpoint === 'POST /connect/introspect' && c.ok).length,
    families: families.length,
    refreshed: calls.filter((c) => c.endpoint === 'POST /connect/token' && c.ok).length,
    uncertain: load.families.slice(from.families).filter((f) => f.uncertain).length,
    failures: calls.filter((c) => !c.ok),
    upTo,
  };
}

/** `phase | requests | ok | failures by status` rows, for the console. */
export function countsTable(calls: readonly Call[], checks: ReadonlyArray<readonly [string, TokenCheck]>): string {
  const phases = [...new Set(calls.map((c) => c.phase))];
  const rows = phases.map((phase) => {
    const of = calls.filter((c) => c.phase === phase);
    const failures = new Map<string, number>();
    for (const call of of.filter((c) => !c.ok)) {
      const key = `${call.status}${call.error ? ` ${call.error}` : ''}`;
      failures.set(key, (failures.get(key) ?? 0) + 1);
    }
    const byStatus = [...failures.entries()].map(([key, count]) => `${count}× ${key}`).join(', ') || '-';
    const seconds = ((Math.max(...of.map((c) => c.end)) - Math.min(...of.map((c) => c.start))) / 1000).toFixed(1);
    return `${phase.padEnd(14)} ${seconds.padStart(6)} ${String(of.length).padStart(6)} ${String(of.filter((c) => c.ok).length).padStart(6)} ${String(of.length - of.filter((c) => c.ok).length).padStart(6)}  ${byStatus}`;
  });
  const checkRows = checks.map(([name, check]) =>
    `${name.padEnd(14)} reference tokens ${check.referenceActive}/${check.referenceTokens} active, refresh families ${check.refreshed}/${check.families} refreshed (${check.uncertain} skipped: refresh got no answer)`);
  return [
    `${'phase'.padEnd(14)} ${'s'.padStart(6)} ${'reqs'.padStart(6)} ${'ok'.padStart(6)} ${'failed'.padStart(6)}  failures by status`,
    ...rows,
    `${'total'.padEnd(14)} ${''.padStart(6)} ${String(calls.length).padStart(6)} ${String(calls.filter((c) => c.ok).length).padStart(6)} ${String(calls.filter((c) => !c.ok).length).padStart(6)}`,
    '',
    'tokens checked afterwards:',
    ...checkRows,
  ].join('\n');
}
