import { mkdtempSync, rmSync, writeFileSync, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { loadAppConfig } from '../../config/app-config';
import { SupportedGrantTypes } from '../../protocol/grant-types';
import { ConfigurationFileWatcher, RELOAD_DEBOUNCE_MS, RELOAD_POLL_MS } from './configuration-file.watcher';
import { ConfigurationReloadMetrics } from './configuration-reload.metrics';
import { loadIdentityConfig } from './identity-config.loader';
import { IdentityConfigurationHolder } from './identity-configuration.holder';

/** A filesystem whose watch delivers no event (some network and container mounts). */
class DeafWatcher extends ConfigurationFileWatcher {
  protected override watchFolder(): FSWatcher | undefined {
    return undefined;
  }
}

function file(clientIds: string[]): string {
  return JSON.stringify({
    clients: clientIds.map((clientId) => ({ clientId, clientSecrets: [{ value: 's' }], allowedGrantTypes: ['client_credentials'] })),
  });
}

async function until(probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('ConfigurationFileWatcher', () => {
  let dir: string;
  let path: string;
  let holder: IdentityConfigurationHolder;
  let watcher: ConfigurationFileWatcher;
  const grantTypes = new SupportedGrantTypes(['client_credentials']);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'config-watcher-'));
    path = join(dir, 'identity.json');
    writeFileSync(path, file(['a']));
    holder = new IdentityConfigurationHolder(await loadIdentityConfig(path, grantTypes.names));
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    await watcher?.onApplicationShutdown();
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when watch events never come, should find the change by polling within the poll interval', async () => {
    watcher = new DeafWatcher(loadAppConfig({ CONFIG_FILE: path }), grantTypes, holder, new ConfigurationReloadMetrics());
    await watcher.onApplicationBootstrap();
    writeFileSync(path, file(['a', 'b']));
    await until(() => holder.current.clients.length === 2, RELOAD_POLL_MS + RELOAD_DEBOUNCE_MS + 2_000);
    expect(holder.current.clients.map((c) => c.clientId)).toEqual(['a', 'b']);
  });

  it('reloadIfChanged, when the file is invalid, should keep the version serving and log once per distinct content', async () => {
    watcher = new DeafWatcher(loadAppConfig({ CONFIG_FILE: path }), grantTypes, holder, new ConfigurationReloadMetrics());
    await watcher.onApplicationBootstrap();
    const before = holder.current;
    writeFileSync(path, '{');
    await watcher.reloadIfChanged();
    await watcher.reloadIfChanged();
    expect(holder.current).toBe(before);
    expect(Logger.prototype.error).toHaveBeenCalledTimes(1);
    expect(Logger.prototype.error).toHaveBeenCalledWith(expect.objectContaining({ file: path, path: '(root)' }), expect.any(String));
  });

  it('reloadIfChanged, when the file has been deleted, should keep the version serving', async () => {
    watcher = new DeafWatcher(loadAppConfig({ CONFIG_FILE: path }), grantTypes, holder, new ConfigurationReloadMetrics());
    await watcher.onApplicationBootstrap();
    const before = holder.current;
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    rmSync(path);
    await watcher.reloadIfChanged();
    expect(holder.current).toBe(before);
    expect(warn).toHaveBeenCalledWith({ file: path }, expect.stringContaining('keeps serving'));
  });
});
