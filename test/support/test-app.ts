import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import { createApp, type CreateAppOptions } from '../../src/app.factory';
import { loadAppConfig, type AppConfig } from '../../src/config/app-config';
import { createRootLogger } from '../../src/logging/root-logger';

export interface TestApp {
  readonly app: NestFastifyApplication;
  readonly config: AppConfig;
  /** e.g. http://127.0.0.1:41234 */
  readonly baseUrl: string;
  /** a scratch folder removed by close() */
  readonly dir: string;
  close(): Promise<void>;
}

/**
 * Starts the real application on a port the OS picks, with an isolated scratch folder:
 * SQLite in memory, key files and config under the scratch folder, unless `env` says otherwise.
 * `logDestination`: where its log lines go (a test that reads them), instead of stdout.
 */
export async function startTestApp(env: Record<string, string> = {}, options: CreateAppOptions = {}, logDestination?: DestinationStream): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'idsrv-test-'));
  const config = loadAppConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: 'sqlite::memory:',
    CONFIG_FILE: 'config/identity.json',
    KEY_MANAGEMENT_KEY_PATH: join(dir, 'keys'),
    DATA_PROTECTION_KEY_PATH: join(dir, 'dp-keys'),
    LOG_LEVEL: 'error',
    ...env,
  });
  const app = await createApp(config, options, createRootLogger(config, logDestination));
  // PORT 0 (the default here): the OS picks; a test that must know the port first passes one from freePort().
  await app.listen({ port: config.port, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('test app did not bind a TCP port');
  return {
    app,
    config,
    baseUrl: `http://127.0.0.1:${address.port}`,
    dir,
    async close() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A suite's configuration: the file the app reads, and how to remove it afterwards. */
export interface TestAppFixtures {
  readonly configFile: string;
  remove(): void;
}

/**
 * startTestApp on a suite's fixtures (CONFIG_FILE set from them); the app's close() removes the
 * fixtures too, and a failed start removes them at once.
 */
export async function startTestAppWithFixtures(
  fixtures: TestAppFixtures, env: Record<string, string> = {}, options: CreateAppOptions = {}, logDestination?: DestinationStream,
): Promise<TestApp> {
  let started: TestApp;
  try {
    started = await startTestApp({ CONFIG_FILE: fixtures.configFile, ...env }, options, logDestination);
  } catch (error) {
    fixtures.remove();
    throw error;
  }
  return {
    ...started,
    async close() {
      try {
        await started.close();
      } finally {
        fixtures.remove();
      }
    },
  };
}

/** Writes a JSON file into `dir` and returns its path (config files for tests). */
export function writeJson(dir: string, name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
}

export const describeIfPostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;
export const describeIfRedis = process.env.TEST_REDIS_URL ? describe : describe.skip;
