import { Logger, type INestApplicationContext } from '@nestjs/common';
import type { CliOutput } from '../common/cli-command';
import { InMemoryDistributedCache } from '../caching/in-memory-distributed-cache';
import { APP_CONFIG } from '../config/app-config';
import { IDENTITY_CONFIGURATION } from '../stores/config-file';
import type { Client } from '../stores/models';
import { KeyManager } from './key-manager.service';
import { KeySetNotifier } from './key-set-notifier.service';
import { keysListCommand, keysPlanCommand, keysRotateCommand, longestTokenLifetimeMs } from './keys.cli';
import { DAY, FakeClock, FakeDataProtectionProvider, InMemorySigningKeyStore, keyConfig } from '../../test/support/fakes/key-management.fakes';

function capture(): CliOutput & { lines: string[]; documents: unknown[]; errors: string[] } {
  const lines: string[] = [];
  const documents: unknown[] = [];
  const errors: string[] = [];
  return { lines, documents, errors, line: (t) => lines.push(t), json: (v) => documents.push(v), error: (t) => errors.push(t) };
}

async function context(env: Record<string, string> = {}, clients: Array<Partial<Client>> = [{ accessTokenLifetime: 3600, identityTokenLifetime: 300 }]) {
  const clock = new FakeClock();
  const config = keyConfig(env);
  const notifier = new KeySetNotifier(new InMemoryDistributedCache(clock), clock, config);
  const store = new InMemorySigningKeyStore();
  const manager = new KeyManager(store, clock, config, new FakeDataProtectionProvider(), undefined, undefined, notifier);
  await manager.onModuleInit();
  const services = new Map<unknown, unknown>([[KeyManager, manager], [APP_CONFIG, config], [IDENTITY_CONFIGURATION, { clients }]]);
  const app = { get: (token: unknown) => { if (!services.has(token)) throw new Error('unexpected token'); return services.get(token); } };
  return { clock, manager, store, app: app as unknown as INestApplicationContext };
}

describe('keys CLI', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('keys list --json should print exactly the docs/cli.md shape', async () => {
    const { app, clock } = await context({ KEY_MANAGEMENT_SIGNING_ALGORITHMS: 'RS256,ES256+x509' });
    clock.advance(DAY);
    const out = capture();
    expect(await keysListCommand.run(app, { argv: [], json: true }, out)).toBe(0);
    expect(out.lines).toEqual([]);
    const [doc] = out.documents as Array<{ keys: Array<Record<string, unknown>> }>;
    expect(doc.keys).toHaveLength(2);
    for (const key of doc.keys) expect(Object.keys(key)).toEqual(['kid', 'alg', 'created', 'phase', 'nextPhaseAt', 'x509']);
    expect(doc.keys.map((k) => [k.alg, k.phase, k.x509])).toEqual([['RS256', 'signing', false], ['ES256', 'signing', true]]);
    expect(doc.keys[0].nextPhaseAt).toBe('2030-04-01T00:00:00.000Z'); // created 2030-01-01 + 90d
  });

  it('keys rotate should announce one key per algorithm that signs after the propagation time', async () => {
    const { app, manager, clock } = await context();
    clock.advance(DAY);
    const out = capture();
    expect(await keysRotateCommand.run(app, { argv: [], json: false }, out)).toBe(0);
    expect(out.lines).toEqual([
      expect.stringMatching(/^Announced RS256 key [0-9A-F]{32}; it signs from 2030-01-16T00:00:00.000Z\.$/),
      // no REDIS_URL: the other instances see it when their key cache expires
      'Running instances list it in their JWKS by 2030-01-03T00:00:00.000Z (KEY_MANAGEMENT_KEY_CACHE_DURATION=1d; set REDIS_URL to notify them at once).',
    ]);
    const phases = (await manager.listKeys()).map((k) => k.phase);
    expect(phases).toEqual(['signing', 'announced']);
    const text = capture();
    await keysListCommand.run(app, { argv: [], json: false }, text);
    expect(text.lines[0]).toMatch(/^KID\s+ALG\s+CREATED\s+PHASE\s+NEXT PHASE AT\s+X509$/);
    expect(text.lines).toHaveLength(3);
  });

  it('keys rotate with key management disabled should fail with exit code 1', async () => {
    const { app } = await context({ KEY_MANAGEMENT_ENABLED: 'false' });
    const out = capture();
    expect(await keysRotateCommand.run(app, { argv: [], json: false }, out)).toBe(1);
    expect(out.errors[0]).toMatch(/KEY_MANAGEMENT_ENABLED=false/);
  });

  it('keys rotate, with a key already waiting, should refuse in one line with exit code 1; --force should announce another', async () => {
    const { app, manager, clock } = await context();
    clock.advance(DAY);
    const first = capture();
    expect(await keysRotateCommand.run(app, { argv: [], json: true }, first)).toBe(0);
    const [doc] = first.documents as Array<Record<string, unknown>>;
    expect(Object.keys(doc)).toEqual(['keys', 'skipped', 'inJwksBy', 'notified', 'notifiedInstances']);
    expect(doc.skipped).toEqual([]);
    expect(doc).toMatchObject({ inJwksBy: '2030-01-03T00:00:00.000Z', notified: false, notifiedInstances: null });
    const waiting = (doc.keys as Array<{ kid: string }>)[0].kid;

    const refused = capture();
    expect(await keysRotateCommand.run(app, { argv: [], json: false }, refused)).toBe(1);
    expect(refused.lines).toEqual([]);
    expect(refused.errors).toEqual([
      `Not rotating: RS256 key ${waiting} is already announced and signs from 2030-01-16T00:00:00.000Z: not announcing a second key (run \`keys rotate --force\` to announce one anyway).`,
    ]);
    expect(await manager.listKeys()).toHaveLength(2);

    const forced = capture();
    expect(await keysRotateCommand.run(app, { argv: [], json: false, options: { force: true } }, forced)).toBe(0);
    expect(forced.lines[0]).toMatch(/^Announced RS256 key /);
    expect(await manager.listKeys()).toHaveLength(3);
  });

  it('keys rotate, with one algorithm\'s key waiting, should announce the other and say which it skipped', async () => {
    const { app, manager, store, clock } = await context({ KEY_MANAGEMENT_SIGNING_ALGORITHMS: 'RS256,ES256' });
    clock.advance(DAY);
    expect(await keysRotateCommand.run(app, { argv: [], json: false }, capture())).toBe(0);
    const waiting = await manager.listKeys();
    const rs = waiting.find((k) => k.alg === 'RS256' && k.phase === 'announced');
    const es = waiting.find((k) => k.alg === 'ES256' && k.phase === 'announced');
    await store.deleteKey(es?.kid as string);

    const out = capture();
    expect(await keysRotateCommand.run(app, { argv: [], json: false }, out)).toBe(0);
    expect(out.errors).toEqual([]);
    expect(out.lines[0]).toMatch(/^Announced ES256 key [0-9A-F]{32}; it signs from 2030-01-16T00:00:00.000Z\.$/);
    expect(out.lines[1]).toBe(
      `Not announcing another RS256 key: ${rs?.kid} is already announced and signs from 2030-01-16T00:00:00.000Z (run \`keys rotate --force\` to announce one anyway).`,
    );
    expect((await manager.listKeys()).filter((k) => k.alg === 'RS256' && k.phase === 'announced')).toHaveLength(1);
  });

  it('keys plan --json should print the docs/cli.md shape; the text form one step per line', async () => {
    const { app, clock } = await context({}, [{ accessTokenLifetime: 3600, identityTokenLifetime: 300 }, { accessTokenLifetime: 7200, identityTokenLifetime: 300 }]);
    clock.advance(DAY);
    const out = capture();
    expect(await keysPlanCommand.run(app, { argv: [], json: true }, out)).toBe(0);
    const [doc] = out.documents as Array<{ steps: Array<Record<string, unknown>> }>;
    expect(doc.steps.map((s) => Object.keys(s))).toEqual(Array(3).fill(['action', 'kid', 'alg', 'earliestAt', 'reason']));
    expect(doc.steps.map((s) => [s.action, s.alg, s.earliestAt])).toEqual([
      ['rotate', 'RS256', '2030-01-02T00:00:00.000Z'],
      ['retire', 'RS256', '2030-01-16T00:00:00.000Z'],
      // signs until 90d, + 24h key cache + 2h (the longest token lifetime of the two clients)
      ['remove', 'RS256', '2030-04-02T02:00:00.000Z'],
    ]);
    expect(doc.steps[0].kid).toBeNull();
    const text = capture();
    expect(await keysPlanCommand.run(app, { argv: [], json: false }, text)).toBe(0);
    expect(text.lines).toHaveLength(3);
    expect(text.lines[0]).toMatch(/^rotate RS256: from 2030-01-02T00:00:00.000Z — no RS256 key is waiting to sign/);
    expect(text.lines[2]).toMatch(/^remove RS256 [0-9A-F]{32}: from 2030-04-02T02:00:00.000Z — it signs until/);
  });

  it('longestTokenLifetimeMs should take the longest access or identity token lifetime of any client', () => {
    expect(longestTokenLifetimeMs([])).toBe(0);
    expect(longestTokenLifetimeMs([{ accessTokenLifetime: 60, identityTokenLifetime: 900 } as Client, { accessTokenLifetime: 300, identityTokenLifetime: 300 } as Client])).toBe(900_000);
  });
});
