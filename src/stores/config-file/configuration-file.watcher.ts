import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { ConfigError } from '../../config/config-error';
import { SupportedGrantTypes } from '../../protocol/grant-types';
import { ConfigurationReloadMetrics } from './configuration-reload.metrics';
import { parseIdentityConfig } from './identity-config.loader';
import { IdentityConfigurationHolder } from './identity-configuration.holder';
import { describeConfiguration } from './identity-configuration.provider';

/** Quiet time after the last change event before the file is read (editors write in steps). */
export const RELOAD_DEBOUNCE_MS = 250;
/** How often the file is stat'ed in case the folder watch missed a change (network or container mounts). */
export const RELOAD_POLL_MS = 2_000;

/**
 * Hot reload of CONFIG_FILE (docs/configuration-file.md, "Reloading"). The file's folder is
 * watched (editors and `kubectl`/ConfigMap updates replace the file by rename, which a watch on
 * the file itself would lose), and its mtime and size are checked every RELOAD_POLL_MS where
 * watch events do not arrive. A version is read only when its content hash differs from the last
 * one seen, so both signals, or a touch, cause no second reload.
 *
 * A new version is validated exactly as at start-up (schema, cross-field rules, the grant
 * registry); a valid one replaces the served version at once, an invalid one is refused with one
 * error line per problem, naming its JSON path, and the old version keeps serving.
 */
@Injectable()
export class ConfigurationFileWatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ConfigurationReload');
  private watcher?: FSWatcher;
  private poll?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;
  /** content hash of the version serving, or of the last version refused */
  private lastSeenHash?: string;
  private lastStat?: string;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly grantTypes: SupportedGrantTypes,
    private readonly holder: IdentityConfigurationHolder,
    private readonly metrics: ConfigurationReloadMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const path = this.config.configFile;
    // The version read at start-up: the file as it is now, read again so its hash is known.
    this.lastSeenHash = await readFile(path).then(hashOf, () => undefined);
    this.lastStat = await statKey(path);
    try {
      this.watcher = this.watchFolder(path);
      this.watcher?.on('error', (error) => {
        this.logger.warn({ err: error }, `watching the folder of ${path} failed; changes are found by polling every ${RELOAD_POLL_MS} ms`);
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (error) {
      this.logger.warn({ err: error }, `cannot watch the folder of ${path}; changes are found by polling every ${RELOAD_POLL_MS} ms`);
    }
    this.poll = setInterval(() => { void this.pollOnce(); }, RELOAD_POLL_MS);
    this.poll.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    if (this.poll) clearInterval(this.poll);
    if (this.debounce) clearTimeout(this.debounce);
    await this.running;
  }

  /** Checks the file now (tests, or a caller that knows it changed); resolves when done. */
  async reloadIfChanged(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          try {
            await this.reloadOnce();
          } catch (error) {
            this.logger.error({ err: error, file: this.config.configFile }, 'reloading the configuration file failed; the configuration loaded before keeps serving');
          }
        } while (this.again && !this.stopped);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** The folder watch; a filesystem that delivers no events is simulated by returning undefined. */
  protected watchFolder(path: string): FSWatcher | undefined {
    return watch(dirname(path), { persistent: false }, (_event, name) => {
      if (name === null || name === basename(path)) this.schedule();
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.reloadIfChanged();
    }, RELOAD_DEBOUNCE_MS);
    this.debounce.unref();
  }

  private async pollOnce(): Promise<void> {
    const key = await statKey(this.config.configFile);
    if (key === this.lastStat) return;
    this.lastStat = key;
    this.schedule();
  }

  private async reloadOnce(): Promise<void> {
    const path = this.config.configFile;
    let text: Buffer;
    try {
      text = await readFile(path);
    } catch (error) {
      // Between an editor's delete and its rename, or a file removed by mistake: keep serving.
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn({ file: path }, `cannot read ${path} (${reason}); the configuration loaded before keeps serving`);
      return;
    }
    const hash = hashOf(text);
    if (hash === this.lastSeenHash) return;
    this.lastSeenHash = hash;
    try {
      const next = await parseIdentityConfig(text.toString('utf8'), path, this.grantTypes.names);
      if (this.stopped) return;
      this.holder.replace(next);
      this.metrics.recordLoaded();
      this.logger.log({ file: path, clients: next.clients.length, apiResources: next.apiResources.length }, `Reloaded ${describeConfiguration(path, next)}`);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.metrics.recordRefused();
      for (const problem of error.problems) {
        const separator = problem.indexOf(': ');
        const jsonPath = problem.startsWith('invalid JSON') || separator < 0 ? '(root)' : problem.slice(0, separator);
        this.logger.error(
          { file: path, path: jsonPath, problem },
          `${path} refused, the configuration loaded before keeps serving: ${problem}`,
        );
      }
    }
  }
}

function hashOf(content: Buffer): string {
  return createHash('sha256').update(content).digest('base64');
}

async function statKey(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return undefined;
  }
}
