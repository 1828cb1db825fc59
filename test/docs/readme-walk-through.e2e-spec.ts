import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FormBrowser } from '../support/form-browser';
import { fencedBlocks, readDoc, section } from '../support/markdown';
import { startTestApp, type TestApp } from '../support/test-app';

const run = promisify(execFile);

/**
 * The README's five-minute walk-through, run as a reader would: its shell blocks in bash
 * (openssl, node, curl) against a running server, and the browser step with the form browser.
 * Only the server's address changes (the test app's port instead of localhost:5000).
 */
describe('README: five-minute walk-through of a browser login', () => {
  let app: TestApp;
  let cwd: string;
  let blocks: string[];

  beforeAll(async () => {
    blocks = fencedBlocks(section(readDoc('README.md'), 'Five-minute walk-through: a browser login'), 'sh');
    app = await startTestApp();
    cwd = mkdtempSync(join(tmpdir(), 'idsrv-walk-'));
  });

  afterAll(async () => {
    await app.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  /** Runs README shell text in bash (asynchronously: the server answers in this same process). */
  async function shell(script: string): Promise<string> {
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script.replaceAll('http://localhost:5000', app.baseUrl)], { cwd });
    return stdout;
  }

  const challengeOf = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

  it('every step, as written, should sign alice in and give tokens that userinfo and introspection accept', async () => {
    expect(blocks).toHaveLength(5);
    const [pkce, nodePkce, exchange, decode, apis] = blocks;

    // Step 1: the PKCE pair (openssl) and the authorize URL.
    const [authorizeUrl, verifierLine] = (await shell(`${pkce}\necho "VERIFIER=$VERIFIER"`)).trim().split('\n');
    const verifier = verifierLine.replace(/^VERIFIER=/, '');
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/); // RFC 7636 §4.1: 43–128 unreserved characters
    const url = new URL(authorizeUrl);
    expect(url.searchParams.get('code_challenge')).toBe(challengeOf(verifier));
    expect(url.searchParams.get('redirect_uri')).toBe('http://localhost:5002/signin-oidc');

    // The node alternative makes a matching pair too.
    const [nodeVerifier, nodeChallenge] = (await shell(`${nodePkce}\necho "$VERIFIER"; echo "$CHALLENGE"`)).trim().split('\n');
    expect(nodeVerifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(nodeChallenge).toBe(challengeOf(nodeVerifier));
    // One verifier in 64 begins with "-": neither challenge line may take it for an option.
    const dashed = '-u9kdlrvF2DIGk9NyFDHGuiYEogalCvbnakp5BMsWRo';
    for (const block of [pkce, nodePkce]) {
      const challengeLine = block.split('\n').find((line) => line.startsWith('CHALLENGE=')) as string;
      expect((await shell(`VERIFIER='${dashed}'\n${challengeLine}\necho "$CHALLENGE"`)).trim()).toBe(challengeOf(dashed));
    }

    // Step 2: the browser — the Sign in page for the web client, alice/alice, no consent, code at the redirect URI.
    const browser = new FormBrowser(app.baseUrl);
    const login = await browser.get(authorizeUrl);
    expect(login.status).toBe(200);
    expect(login.body).toContain('<h1>Sign in</h1>');
    expect(login.body).toContain('to continue to <strong>Web application (server-side)</strong>');
    const done = await browser.submit(login, { username: 'alice', password: 'alice' }, { name: 'button', value: 'login' });
    expect(done.redirectedTo).toBeDefined();
    const callback = new URL(done.redirectedTo ?? '');
    expect(`${callback.origin}${callback.pathname}`).toBe('http://localhost:5002/signin-oidc');
    expect(callback.searchParams.get('state')).toBe('walkthrough');
    expect(callback.searchParams.get('iss')).toBe(app.baseUrl);
    const code = callback.searchParams.get('code') ?? '';
    expect(code).not.toBe('');

    // Step 3: the token exchange, with the code pasted in.
    expect(exchange.split('paste-the-code-here')).toHaveLength(2);
    const tokens = JSON.parse(await shell(`VERIFIER='${verifier}'\n${exchange.replace('paste-the-code-here', code)}`)) as Record<string, unknown>;
    expect(tokens).toMatchObject({ token_type: 'Bearer', scope: expect.stringContaining('api1') });
    expect(typeof tokens.access_token).toBe('string');
    expect(typeof tokens.id_token).toBe('string');

    // Step 4: the id_token's claims, userinfo, and both introspection requests.
    const claims = await shell(decode);
    expect(claims).toContain(`iss: '${app.baseUrl}'`);
    expect(claims).toContain("aud: 'web'");
    expect(claims).toContain("sub: '1'");
    expect(claims).toContain("nonce: 'n-0S6_WzA2Mj'");
    expect(claims).toMatch(/sid: '/);

    const [userinfo, basic, post, ...rest] = (await shell(apis)).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rest).toEqual([]);
    expect(userinfo).toMatchObject({ sub: '1', name: 'Alice Smith', email: 'alice@example.com' });
    expect(basic).toMatchObject({ active: true, scope: 'api1', sub: '1', client_id: 'web' });
    expect(post).toMatchObject({ active: true, scope: 'api1' });
  });
});
