/**
 * Whether this process may change what the stores hold. The server and the CLI's writing
 * commands may (the default when nothing is bound); the CLI binds `WriteAccess.readOnly` for
 * its read-only commands (docs/cli.md), so a service that would otherwise create a key on the
 * way (KeyRingService, KeyManager) reads what is there and refuses to write.
 */
export class WriteAccess {
  static readonly readWrite = new WriteAccess(true);
  static readonly readOnly = new WriteAccess(false);

  private constructor(readonly allowed: boolean) {}

  /** Throws a ReadOnlyError naming `what` when writing is not allowed. */
  assertWritable(what: string): void {
    if (!this.allowed) throw new ReadOnlyError(what);
  }
}

/** A read-only process was about to write: a bug in the caller, never a reason to write anyway. */
export class ReadOnlyError extends Error {
  constructor(what: string) {
    super(`refusing to ${what}: this command is read-only`);
    this.name = 'ReadOnlyError';
  }
}
