import 'reflect-metadata';
import { config as loadDotEnv } from 'dotenv';
import { loadAppConfig } from './config/app-config';
import { ConfigError } from './config/config-error';
import { createApp } from './app.factory';
import { SERVER_EXTENSIONS } from './server.extensions';

async function main(): Promise<void> {
  loadDotEnv({ quiet: true });
  let config;
  try {
    config = loadAppConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(config, SERVER_EXTENSIONS);
  await app.listen({ port: config.port, host: config.host });
}

main().catch((error: unknown) => {
  process.stderr.write(`Start-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
