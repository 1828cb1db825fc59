/** Thrown when a health check takes longer than its budget. */
export class HealthCheckTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
    this.name = 'HealthCheckTimeoutError';
  }
}

/**
 * Races a check against a timer so one hung dependency (e.g. a database behind a dead network)
 * cannot hold /health open; the timer never keeps the process alive.
 */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new HealthCheckTimeoutError(timeoutMs)), timeoutMs);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** A failure as shown in the health response: a message, never a stack. */
export function describeFailure(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
