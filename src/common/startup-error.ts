/** What an operator needs to act on a failed start: what is wrong, where, and what to change. */
export interface StartupProblem {
  /** the environment variable at fault (`DATABASE_URL`), when one is */
  readonly setting?: string;
  /** the file at fault (the configuration file, a key file), when one is */
  readonly file?: string;
  /** what to change, in one sentence, with the docs/ page that explains it */
  readonly fix: string;
  /** several findings of the same kind (every invalid setting, every JSON path) */
  readonly problems?: readonly string[];
}

/**
 * A start-up failure the operator fixes by changing a setting or a file. Thrown where the problem
 * is found; src/main.ts turns it into exactly one error line (no stack unless LOG_LEVEL=debug)
 * and exit code 1.
 */
export class StartupError extends Error implements StartupProblem {
  readonly setting?: string;
  readonly file?: string;
  readonly fix: string;
  readonly problems?: readonly string[];

  constructor(message: string, problem: StartupProblem, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
    this.setting = problem.setting;
    this.file = problem.file;
    this.fix = problem.fix;
    this.problems = problem.problems;
  }
}
