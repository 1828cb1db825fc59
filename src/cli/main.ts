/* The admin CLI (docs/cli.md): `npm run cli -- <command> [options]`. */
import 'reflect-metadata';
import { config as loadDotEnv } from 'dotenv';
import { NestFactory } from '@nestjs/core';
import { loadAppConfig, type AppConfig } from '../config/app-config';
import { ConfigError } from '../config/config-error';
import { ConfigModule } from '../config/config.module';
import { DatabaseNotMigratedError } from '../database/read-only-database.module';
import { SERVER_EXTENSIONS } from '../server.extensions';
import { problemOf } from '../startup-failure.report';
import type { CliOutput } from '../common/cli-command';
import { CliModule } from './cli.module';
import { commandUsage, parseCommandLine, usage } from './command-line';
import { CLI_COMMANDS } from './commands';

const out: CliOutput = {
  line: (text) => process.stdout.write(`${text}\n`),
  json: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  error: (text) => process.stderr.write(`${text}\n`),
};

async function main(argv: string[]): Promise<number> {
  const line = parseCommandLine(argv, CLI_COMMANDS);
  switch (line.kind) {
    case 'help':
      // Asked for: stdout, exit 0.
      out.line(usage(CLI_COMMANDS));
      return 0;
    case 'command-help':
      out.line(commandUsage(line.command));
      return 0;
    case 'error':
      out.error(line.message);
      out.error('');
      out.error(line.command ? commandUsage(line.command) : usage(CLI_COMMANDS));
      return 1;
    case 'run':
      break;
  }
  const { command, args } = line;
  loadDotEnv({ quiet: true });
  let config: AppConfig | undefined;
  try {
    config = loadAppConfig(process.env);
    let app;
    try {
      app = await NestFactory.createApplicationContext(
        CliModule.forCommand(command, { ...config, logLevel: 'error' }, SERVER_EXTENSIONS),
        // No Nest logger: stdout is the command's output, and a failure is printed once below,
        // without a stack trace.
        { logger: false, abortOnError: false },
      );
    } catch (error) {
      if (!command.runWithoutContext) throw error;
      const settings = await NestFactory.createApplicationContext(ConfigModule.forRoot({ ...config, logLevel: 'error' }), { logger: false, abortOnError: false });
      try {
        return await command.runWithoutContext(settings, failureLine(error, config), args, out);
      } finally {
        await settings.close();
      }
    }
    try {
      return await command.run(app, args, out);
    } finally {
      await app.close();
    }
  } catch (error) {
    out.error(failureLine(error, config));
    return 1;
  }
}

/** A failed command in one line: the known errors say it themselves; others as a failed start does, with the fix. */
function failureLine(error: unknown, config: AppConfig | undefined): string {
  if (error instanceof ConfigError || error instanceof DatabaseNotMigratedError) return error.message;
  const { summary, fix } = problemOf(error, config);
  return `Failed: ${summary} — fix: ${fix}`;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    out.error(failureLine(error, undefined));
    process.exit(1);
  },
);
