/** Raised at start-up for an invalid setting or configuration file; the message names what is wrong. */
export class ConfigError extends Error {
  /** `source`: the file the problems were found in, when they come from one. */
  constructor(readonly problems: string[], readonly source?: string) {
    super(`Invalid configuration${source ? ` in ${source}` : ''}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}
