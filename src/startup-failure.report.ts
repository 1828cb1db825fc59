import { errorCode } from './common/error-code';
import { StartupError, type StartupProblem } from './common/startup-error';
import type { AppConfig } from './config/app-config';

/** The one error line of a failed start: its message and its structured fields. */
export interface StartupFailureReport {
  readonly message: string;
  readonly fields: StartupProblem;
}

/** A multi-line message ("Invalid configuration:\n  - A\n  - B") as one line ("Invalid configuration: A; B"). */
function oneLine(text: string): string {
  return text.replace(/:\n\s*- /, ': ').replace(/\n\s*- /g, '; ').replace(/\s*\n\s*/g, ' ').trim();
}

function messagesOf(error: unknown): string[] {
  const messages: string[] = [];
  for (let e: unknown = error; e instanceof Error && messages.length < 5; e = e.cause) messages.push(e.message);
  return messages.length > 0 ? messages : [String(error)];
}

/**
 * A table the migrations create is missing: SQLite says `no such table: X`, PostgreSQL
 * `relation "X" does not exist` (42P01). The first store to touch the database hits it (the
 * key ring, as a rule), deep inside its own message.
 */
function missingTableIn(error: unknown): string | undefined {
  for (const message of messagesOf(error)) {
    const match = /no such table: (\w+)|relation "([^"]+)" does not exist/.exec(message);
    if (match) return match[1] ?? match[2];
  }
  return undefined;
}

/**
 * What went wrong, in one line, with the setting or file and the fix: for a failed start, and for
 * a CLI command that fails the same way (e.g. on a database whose migrations have not run).
 */
export function problemOf(error: unknown, config: AppConfig | undefined): StartupProblem & { readonly summary: string } {
  const table = missingTableIn(error);
  if (table !== undefined) {
    return {
      summary: `the database has no table ${table}: its migrations have not run`
        + (config?.database.migrationsRun === false ? ' (DATABASE_MIGRATIONS_RUN=false)' : ''),
      setting: 'DATABASE_MIGRATIONS_RUN',
      fix: 'run `npm run cli -- migrate` with the same DATABASE_URL, then start again; or set DATABASE_MIGRATIONS_RUN=true '
        + '(docs/cli.md#migrate)',
    };
  }
  if (error instanceof StartupError) return { summary: oneLine(error.message), ...error };
  const code = errorCode(error);
  if (config && (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')) {
    return {
      summary: `cannot listen on ${config.host}:${config.port} (${code})`,
      setting: 'PORT',
      fix: code === 'EADDRINUSE'
        ? 'another process listens there: stop it, or choose another PORT (docs/settings.md#listening-and-identity)'
        : 'choose a PORT above 1023 and a HOST this machine has (docs/settings.md#listening-and-identity)',
    };
  }
  return {
    summary: oneLine(messagesOf(error)[0]),
    fix: 'start with LOG_LEVEL=debug to see where it failed (docs/settings.md)',
  };
}

/**
 * What a failed start tells the operator, in one line: what is wrong, the setting or file, and
 * the fix. `config` is undefined when the settings themselves could not be read.
 */
export function startupFailureOf(error: unknown, config: AppConfig | undefined): StartupFailureReport {
  const { summary, setting, file, fix, problems } = problemOf(error, config);
  return {
    message: `start-up failed: ${summary} — fix: ${fix}`,
    fields: {
      ...(setting ? { setting } : {}),
      ...(file ? { file } : {}),
      fix,
      ...(problems && problems.length > 0 ? { problems } : {}),
    },
  };
}
