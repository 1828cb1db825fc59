/**
 * A dependency the request needs (the database, Redis, the key ring) cannot be used right now.
 * Any layer may throw it; ProtocolExceptionFilter answers 503 `temporarily_unavailable` with
 * `Retry-After` (docs/endpoints.md) and logs one line naming the dependency, never a 500.
 */
export class DependencyUnavailableError extends Error {
  constructor(
    /** what is down, for the log and the description: `database`, `redis`, `key-ring`, … */
    readonly dependency: string,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DependencyUnavailableError';
  }
}

/** Seconds a client should wait before retrying after a DependencyUnavailableError. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 5;
