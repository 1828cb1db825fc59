import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port';
import { ServerProcess } from '../support/server-process';

/**
 * One instance without REDIS_URL (the default set-up) killed with SIGKILL and started again: its
 * dead predecessor's row stays in the instance registry until it expires. The restarted
 * instance must not take itself out of its load balancer because of it.
 */
describe('an instance without Redis, killed and restarted', () => {
  let dir: string;
  let server: ServerProcess;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'crash-restart-'));
    server = new ServerProcess('single', await freePort(), {
      DATABASE_URL: `sqlite:${join(dir, 'identity.sqlite')}`,
      DATA_PROTECTION_MASTER_KEY: randomBytes(32).toString('base64'),
      CONFIG_FILE: join(__dirname, '../../config/identity.json'),
      LOG_LEVEL: 'warn',
    });
  });
  afterAll(async () => {
    await server?.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('should be ready again as soon as it serves, not after the dead row expires', async () => {
    server.start();
    await server.waitReady();
    expect((await server.stop('SIGKILL')).signal).toBe('SIGKILL');
    server.start();
    await server.waitReady(20_000);
    // Ready long before the dead row expires (90 s after its last heartbeat), which is still listed, as a warning.
    const ready = await fetch(`${server.url}/health/ready`);
    const body = (await ready.json()) as { info: { deployment?: { findings: Array<{ id: string; severity: string }> } } };
    expect(ready.status).toBe(200);
    expect(body.info.deployment?.findings).toEqual([expect.objectContaining({ id: 'in-process-cache-with-several-instances', severity: 'warning' })]);
  }, 120_000);
});
