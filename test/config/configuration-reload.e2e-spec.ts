import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { ConfigurationFileWatcher } from '../../src/stores/config-file';
import { waitFor } from '../support/free-port';
import { startTestApp, type TestApp } from '../support/test-app';
import { basicAuth, postForm } from '../token/token-fixtures';

/** A change must be served within this (docs/configuration-file.md, "Reloading": a few seconds). */
const WITHIN_MS = 5_000;

function client(clientId: string, secret: string, extra: Record<string, unknown> = {}) {
  return { clientId, clientSecrets: [{ value: secret }], allowedGrantTypes: ['client_credentials'], allowedScopes: ['api1'], ...extra };
}

function configuration(clients: unknown[]): string {
  return JSON.stringify({ clients, apiScopes: [{ name: 'api1' }], apiResources: [{ name: 'urn:api1', scopes: ['api1'] }] }, null, 2);
}

/**
 * CONFIG_FILE edited under a running server (docs/configuration-file.md, "Reloading"): the real
 * token endpoint over HTTP, the real file in a temp folder, the real fs watch.
 */
describe('configuration file, reloaded while running', () => {
  let dir: string;
  let configFile: string;
  let server: TestApp;
  let errors: jest.SpyInstance;
  let logs: jest.SpyInstance;

  async function tokenStatus(clientId: string, secret: string): Promise<number> {
    const response = await postForm(`${server.baseUrl}/connect/token`, { grant_type: 'client_credentials', scope: 'api1' },
      { authorization: basicAuth(clientId, secret) });
    return response.status;
  }

  /** The structured fields of every error line logged since the spy started. */
  function errorFields(): Array<Record<string, unknown>> {
    return errors.mock.calls.map((call: unknown[]) => call[0]).filter((f): f is Record<string, unknown> => typeof f === 'object' && f !== null);
  }

  function reloadCount(): number {
    return logs.mock.calls.filter((call: unknown[]) => typeof call[1] === 'string' && call[1].startsWith('Reloaded ')).length;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'idsrv-reload-'));
    configFile = join(dir, 'identity.json');
    writeFileSync(configFile, configuration([client('svc', 'first-secret')]));
    server = await startTestApp({ CONFIG_FILE: configFile });
  });
  beforeEach(() => {
    errors = jest.spyOn(Logger.prototype, 'error');
    logs = jest.spyOn(Logger.prototype, 'log');
  });
  afterEach(() => { jest.restoreAllMocks(); });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a secret edited in place, should be accepted and the old one refused with 401 within seconds, without a restart', async () => {
    expect(await tokenStatus('svc', 'first-secret')).toBe(200);
    const started = Date.now();
    writeFileSync(configFile, configuration([client('svc', 'second-secret')]));
    await waitFor('the new secret to be accepted', async () => (await tokenStatus('svc', 'second-secret')) === 200, WITHIN_MS);
    expect(await tokenStatus('svc', 'first-secret')).toBe(401);
    expect(Date.now() - started).toBeLessThan(WITHIN_MS);
    expect(reloadCount()).toBe(1);
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^configuration_reloads_total 2$/m);
  });

  it('a client added, should get a token', async () => {
    expect(await tokenStatus('added', 'added-secret')).toBe(401);
    writeFileSync(configFile, configuration([client('svc', 'second-secret'), client('added', 'added-secret')]));
    await waitFor('the added client to get a token', async () => (await tokenStatus('added', 'added-secret')) === 200, WITHIN_MS);
    expect(await tokenStatus('svc', 'second-secret')).toBe(200);
  });

  it('a file that is not JSON, should be refused naming the file and position, and the old version keeps serving', async () => {
    writeFileSync(configFile, '{ "clients": [ }');
    await waitFor('the refusal to be logged', async () => errorFields().some((f) => f.file === configFile), WITHIN_MS);
    expect(errorFields()).toEqual([expect.objectContaining({
      file: configFile, path: '(root)', problem: expect.stringMatching(/^invalid JSON at line 1, column 16: /) as unknown,
    })]);
    expect(await tokenStatus('svc', 'second-secret')).toBe(200);
    expect(await tokenStatus('added', 'added-secret')).toBe(200);
  });

  it('a file with schema errors, should be refused with one line per JSON path; the old version keeps serving; the fix is picked up', async () => {
    writeFileSync(configFile, configuration([
      client('svc', 'third-secret'),
      client('web', 's', { allowedGrantTypes: ['authorization_code'], redirectUris: ['/cb'], requirePcke: false }),
    ]));
    await waitFor('the refusal to be logged', async () => errorFields().length >= 2, WITHIN_MS);
    expect(errorFields().map((f) => f.path)).toEqual(['clients[1].redirectUris[0]', 'clients[1].requirePcke']);
    expect(errorFields()[0]).toMatchObject({ file: configFile, problem: 'clients[1].redirectUris[0]: must be an absolute URI' });
    // Refused whole: the valid part (svc's new secret) is not applied either.
    expect(await tokenStatus('svc', 'second-secret')).toBe(200);
    expect(await tokenStatus('svc', 'third-secret')).toBe(401);
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^configuration_reload_failures_total 2$/m);

    writeFileSync(configFile, configuration([client('svc', 'third-secret')]));
    await waitFor('the corrected file to be served', async () => (await tokenStatus('svc', 'third-secret')) === 200, WITHIN_MS);
    expect(await tokenStatus('svc', 'second-secret')).toBe(401);
    expect(await tokenStatus('added', 'added-secret')).toBe(401);
  });

  it('a file replaced by rename, as editors and ConfigMaps do, should be picked up, and the new scope listed by discovery', async () => {
    const next = join(dir, '.identity.json.swp');
    writeFileSync(next, JSON.stringify({
      clients: [client('svc', 'renamed-secret', { allowedScopes: ['api1', 'api2'] })],
      apiScopes: [{ name: 'api1' }, { name: 'api2' }],
      apiResources: [{ name: 'urn:api1', scopes: ['api1', 'api2'] }],
    }));
    renameSync(next, configFile);
    await waitFor('the renamed file to be served', async () => (await tokenStatus('svc', 'renamed-secret')) === 200, WITHIN_MS);
    expect(await tokenStatus('svc', 'third-secret')).toBe(401);
    const discovery = await (await fetch(`${server.baseUrl}/.well-known/openid-configuration`)).json() as { scopes_supported: string[] };
    expect(discovery.scopes_supported).toContain('api2');
    const response = await postForm(`${server.baseUrl}/connect/token`, { grant_type: 'client_credentials', scope: 'api2' },
      { authorization: basicAuth('svc', 'renamed-secret') });
    expect(response.status).toBe(200);
  });

  it('a file touched without a change, should not be reloaded', async () => {
    const watcher = server.app.get(ConfigurationFileWatcher);
    await watcher.reloadIfChanged();
    expect(reloadCount()).toBe(0);
  });
});
