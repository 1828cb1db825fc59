import { StartupError } from '../common/startup-error';

/** The variable a problem line starts with (`PORT: expected …` → `PORT`). */
function settingsNamedIn(problems: readonly string[]): string[] {
  const names = problems.map((p) => /^([A-Z][A-Z0-9_]*):/.exec(p)?.[1]).filter((n): n is string => n !== undefined);
  return [...new Set(names)];
}

/** Raised at start-up for an invalid setting or configuration file; the message names what is wrong. */
export class ConfigError extends StartupError {
  /**
   * `source`: the file the problems were found in, when they come from one; `fix`: what to
   * change, when more precise than "the settings listed".
   */
  constructor(override readonly problems: string[], readonly source?: string, fix?: string) {
    super(`Invalid configuration${source ? ` in ${source}` : ''}:\n  - ${problems.join('\n  - ')}`, {
      setting: source ? 'CONFIG_FILE' : settingsNamedIn(problems).join(', ') || undefined,
      file: source,
      fix: fix ?? (source
        ? `correct the fields listed in ${source} (docs/configuration-file.md)`
        : 'change the settings listed, in the environment or .env (docs/settings.md)'),
      problems,
    });
    this.name = 'ConfigError';
  }
}
