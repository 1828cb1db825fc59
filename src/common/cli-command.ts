import type { INestApplicationContext } from '@nestjs/common';

export interface CliArgs {
  /** words after the command name */
  readonly argv: readonly string[];
  /** `--json`: print only JSON on stdout */
  readonly json: boolean;
}

export interface CliOutput {
  /** a line to stdout */
  line(text: string): void;
  /** a JSON document to stdout */
  json(value: unknown): void;
  /** a line to stderr */
  error(text: string): void;
}

/**
 * One admin command (`npm run cli -- keys list`). Each feature exports its commands from
 * `<feature>.cli.ts`; src/cli/main.ts lists them. Returns the exit code.
 */
export interface CliCommand {
  /** words that select it, e.g. 'keys list' */
  readonly name: string;
  readonly description: string;
  /** whether the command needs the full application context (database, keys); doctor may not */
  run(app: INestApplicationContext, args: CliArgs, out: CliOutput): Promise<number>;
}
