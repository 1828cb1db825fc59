/* The admin CLI (SPEC section 7): `npm run cli -- <command> [--json]`. */
import 'reflect-metadata';
import { config as loadDotEnv } from 'dotenv';
import { NestFactory } from '@nestjs/core';
import { loadAppConfig } from '../config/app-config';
import { ConfigError } from '../config/config-error';
import { IdentityServerModule } from '../identity-server.module';
import { SERVER_EXTENSIONS } from '../server.extensions';
import type { CliOutput } from '../common/cli-command';
import { CLI_COMMANDS } from './commands';

const out: CliOutput = {
  line: (text) => process.stdout.write(`${text}\n`),
  json: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  error: (text) => process.stderr.write(`${text}\n`),
};

function usage(): string {
  const width = Math.max(...CLI_COMMANDS.map((c) => c.name.length), 10);
  return ['Usage: npm run cli -- <command> [--json]', '', 'Commands:',
    ...CLI_COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.description}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const words = argv.filter((a) => a !== '--json');
  // longest command name that prefixes the words ("keys list" before "keys")
  const command = [...CLI_COMMANDS].sort((a, b) => b.name.length - a.name.length)
    .find((c) => c.name.split(' ').every((w, i) => words[i] === w));
  if (!command) {
    out.error(usage());
    return words.length === 0 || words[0] === 'help' || words[0] === '--help' ? 0 : 1;
  }
  loadDotEnv({ quiet: true });
  const config = loadAppConfig(process.env);
  // Quiet logs: stdout is the command's output (JSON with --json).
  const app = await NestFactory.createApplicationContext(
    // `migrate` must run the migrations whatever DATABASE_MIGRATIONS_RUN says: that is its job.
    IdentityServerModule.forRoot({
      ...config,
      logLevel: 'error',
      database: command.name === 'migrate' ? { ...config.database, migrationsRun: true } : config.database,
    }, SERVER_EXTENSIONS),
    // No Nest logger: a failure reaches the catch below and is printed once, without a stack trace.
    { logger: false, abortOnError: false },
  );
  try {
    return await command.run(app, { argv: words.slice(command.name.split(' ').length), json }, out);
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    out.error(error instanceof ConfigError ? error.message : `Failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
