import { Logger, type INestApplicationContext } from '@nestjs/common';
import type { CliOutput } from '../common/cli-command';
import { KeyManager } from './key-manager.service';
import { keysListCommand, keysRotateCommand } from './keys.cli';
import { DAY, FakeClock, FakeDataProtectionProvider, InMemorySigningKeyStore, keyConfig } from '../../test/support/fakes/key-management.fakes';

function capture(): CliOutput & { lines: string[]; documents: unknown[]; errors: string[] } {
  const lines: string[] = [];
  const documents: unknown[] = [];
  const errors: string[] = [];
  return { lines, documents, errors, line: (t) => lines.push(t), json: (v) => documents.push(v), error: (t) => errors.push(t) };
}

async function context(env: Record<string, string> = {}) {
  const clock = new FakeClock();
  const manager = new KeyManager(new InMemorySigningKeyStore(), clock, keyConfig(env), new FakeDataProtectionProvider());
  await manager.onModuleInit();
  const app = { get: (token: unknown) => { if (token !== KeyManager) throw new Error('unexpected token'); return manager; } };
  return { clock, manager, app: app as unknown as INestApplicationContext };
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
    expect(out.lines).toEqual([expect.stringMatching(/^Announced RS256 key [0-9A-F]{32}; it signs from 2030-01-16T00:00:00.000Z\.$/)]);
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
});
