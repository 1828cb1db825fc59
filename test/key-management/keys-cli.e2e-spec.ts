import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli, type CliRun } from '../support/cli-process';

const ROOT = resolve(__dirname, '../..');

/** The admin CLI as an operator runs it (`npm run -s cli -- …`), in its own process. */
function cli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return runCli(args, { ...process.env, LOG_LEVEL: 'error', ...env });
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** docs/cli.md: `keys list`, `keys rotate` and `data-protection list` with `--json` print only JSON; exit codes. */
describe('keys and data-protection CLI commands (docs/cli.md)', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'km-cli-'));
    env = {
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      KEY_MANAGEMENT_KEY_PATH: join(dir, 'keys'),
      DATA_PROTECTION_KEY_PATH: join(dir, 'dp'),
      CONFIG_FILE: join(ROOT, 'config/identity.json'),
      KEY_MANAGEMENT_SIGNING_ALGORITHMS: 'RS256,ES256+x509',
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keys list --json, keys rotate --json and data-protection list --json should print only the documented JSON and exit 0', async () => {
    // keys list is read-only (test/cli/cli-read-only.e2e-spec.ts): the first keys come from a writing command.
    const migrated = await cli(['migrate', '--json'], env);
    expect(migrated.code).toBe(0);
    const empty = await cli(['keys', 'list', '--json'], env);
    expect(JSON.parse(empty.stdout)).toEqual({ keys: [] });

    // On an empty store, rotate first makes the signing keys (as the server would), then announces new ones.
    const rotated = await cli(['keys', 'rotate', '--json'], env);
    expect(rotated.code).toBe(0);
    const rotation = JSON.parse(rotated.stdout) as { keys: Array<Record<string, unknown>>; inJwksBy: string };
    const created = rotation.keys;
    // No REDIS_URL: nobody is notified, running instances see the keys within KEY_MANAGEMENT_KEY_CACHE_DURATION (24h).
    expect(Object.keys(rotation)).toEqual(['keys', 'skipped', 'inJwksBy', 'notified', 'notifiedInstances']);
    expect(rotation).toMatchObject({ notified: false, notifiedInstances: null });
    expect(Date.parse(rotation.inJwksBy) - Date.parse(String(created[0].created))).toBeGreaterThanOrEqual(24 * 3_600_000);
    expect(created.map((k) => [k.alg, k.phase])).toEqual([['RS256', 'announced'], ['ES256', 'announced']]);

    const listed = await cli(['keys', 'list', '--json'], env);
    expect(listed.code).toBe(0);
    const list = JSON.parse(listed.stdout) as { keys: Array<Record<string, unknown>> };
    expect(list.keys.map((k) => [k.alg, k.phase, k.x509])).toEqual([
      ['RS256', 'signing', false], ['ES256', 'signing', true], ['RS256', 'announced', false], ['ES256', 'announced', true],
    ]);
    for (const key of list.keys) {
      expect(Object.keys(key)).toEqual(['kid', 'alg', 'created', 'phase', 'nextPhaseAt', 'x509']);
      expect(key.created).toMatch(ISO);
      expect(key.nextPhaseAt).toMatch(ISO);
    }
    expect(list.keys.slice(2).map((k) => k.kid)).toEqual(created.map((k) => k.kid));

    // A second rotation while those wait is refused (one line, exit 1); --force announces more.
    const refused = await cli(['keys', 'rotate', '--json'], env);
    expect({ code: refused.code, stdout: refused.stdout }).toEqual({ code: 1, stdout: '' });
    expect(refused.stderr.trim()).toMatch(/^Not rotating: RS256 key [0-9A-F]{32} is already announced and signs from .*; ES256 key [0-9A-F]{32} .*--force.*\.$/);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    const again = JSON.parse((await cli(['keys', 'rotate', '--force', '--json'], env)).stdout) as { keys: Array<Record<string, unknown>> };
    const after = JSON.parse((await cli(['keys', 'list', '--json'], env)).stdout) as { keys: Array<Record<string, unknown>> };
    expect(after.keys.map((k) => k.phase)).toEqual(['signing', 'signing', 'announced', 'announced', 'announced', 'announced']);
    expect(after.keys.slice(4).map((k) => k.kid)).toEqual(again.keys.map((k) => k.kid));

    const ring = await cli(['data-protection', 'list', '--json'], env);
    expect(ring.code).toBe(0);
    const keys = (JSON.parse(ring.stdout) as { keys: Array<Record<string, unknown>> }).keys;
    expect(keys).toHaveLength(1);
    expect(Object.keys(keys[0])).toEqual(['id', 'created', 'activation', 'expiration', 'revoked']);
    expect(keys[0].revoked).toBe(false);
  }, 120_000);

  it('keys rotate, with KEY_MANAGEMENT_ENABLED=false, should fail with exit code 1 and say why', async () => {
    const pem = join(dir, 'static.pem');
    writeFileSync(pem, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const run = await cli(['keys', 'rotate'], { ...env, KEY_MANAGEMENT_ENABLED: 'false', SIGNING_CREDENTIALS: `RS256=${pem}` });
    expect(run.code).toBe(1);
    expect(run.stderr + run.stdout).toContain('KEY_MANAGEMENT_ENABLED=false');
  }, 60_000);

  /** A copy of the demo configuration with one more client, allowed the given grant types. */
  function configWithClient(name: string, allowedGrantTypes: string[]): string {
    const file = JSON.parse(readFileSync(join(ROOT, 'config/identity.json'), 'utf8')) as { clients: unknown[] };
    file.clients.push({
      clientId: 'api-gateway', clientSecrets: [{ type: 'SharedSecret', value: 'gateway-secret' }],
      allowedGrantTypes, allowedScopes: ['api1'],
    });
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(file));
    return path;
  }

  it('on a configuration whose client uses token exchange, should accept it: the CLI knows the same grants as the server (src/server.extensions.ts)', async () => {
    const configFile = configWithClient('token-exchange.json', ['urn:ietf:params:oauth:grant-type:token-exchange']);
    const run = await cli(['keys', 'list', '--json'], { ...env, CONFIG_FILE: configFile });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { keys: unknown[] }).keys.length).toBeGreaterThan(0);
  }, 60_000);

  it('on a configuration naming a grant no handler declares, should fail with exit code 1 and the JSON path', async () => {
    const configFile = configWithClient('unknown-grant.json', ['client_credentials', 'urn:example:no-such-grant']);
    const run = await cli(['keys', 'list', '--json'], { ...env, CONFIG_FILE: configFile });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/clients\[\d+\]\.allowedGrantTypes\[1\]/);
    expect(run.stderr).toContain('urn:example:no-such-grant');
  }, 60_000);
});
