import type { INestApplicationContext, ModuleMetadata, Provider } from '@nestjs/common';

export interface CliArgs {
  /** words after the command name (its declared arguments, in order) */
  readonly argv: readonly string[];
  /** `--json`: print only JSON on stdout */
  readonly json: boolean;
  /** every declared option given, by name without dashes: `true` for a flag, else its value */
  readonly options?: Readonly<Record<string, string | true>>;
}

export interface CliOutput {
  /** a line to stdout */
  line(text: string): void;
  /** a JSON document to stdout */
  json(value: unknown): void;
  /** a line to stderr */
  error(text: string): void;
}

/** An option a command accepts: `--json`, or `--out FILE` / `--out=FILE` when `value` names its value. */
export interface CliOption {
  /** without dashes, e.g. 'json' */
  readonly name: string;
  readonly description: string;
  /** the value's placeholder in help (e.g. 'FILE'); absent for a flag */
  readonly value?: string;
}

/** A positional word a command requires, e.g. `clients show <clientId>`. */
export interface CliArgument {
  readonly name: string;
  readonly description: string;
  /** may be left out (only the last arguments): `config import [FILE]` */
  readonly optional?: boolean;
}

/** `--json`, shared by every command that prints a document. */
export const JSON_OPTION: CliOption = { name: 'json', description: 'print only JSON on stdout; messages go to stderr' };

/**
 * One admin command (`npm run cli -- keys list`). Each feature exports its commands from
 * `<feature>.cli.ts`; src/cli/commands.ts lists them. The declaration drives the help text, the
 * checking of options, and the context the command runs in: a `read-only` command gets the
 * database opened read-only, never migrated, and services that refuse to create keys
 * (WriteAccess).
 */
export interface CliCommand {
  /** words that select it, e.g. 'keys list' */
  readonly name: string;
  readonly description: string;
  /** `read-only` commands never change the database, the key stores or any file */
  readonly access: 'read-only' | 'writes';
  readonly options: readonly CliOption[];
  readonly arguments?: readonly CliArgument[];
  /** the modules the command's services come from, besides configuration, the database and the seams */
  readonly imports?: NonNullable<ModuleMetadata['imports']>;
  /** services the command needs that no module of `imports` provides without starting a scheduler */
  readonly providers?: readonly Provider[];
  /** Returns the exit code. */
  run(app: INestApplicationContext, args: CliArgs, out: CliOutput): Promise<number>;
  /**
   * Run instead of failing when the settings load but the command's context cannot start (e.g.
   * the database cannot be opened): `app` then holds the settings only, and `failure` is the
   * one-line reason. `doctor` still reports what the settings alone show. Returns the exit code.
   */
  runWithoutContext?(app: INestApplicationContext, failure: string, args: CliArgs, out: CliOutput): Promise<number>;
}
