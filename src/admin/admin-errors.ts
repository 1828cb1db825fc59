import { ProtocolError } from '../protocol/protocol-errors';

/** 400 `invalid_request` listing each problem of the body with its JSON path (docs/endpoints.md, "Admin API"). */
export class InvalidAdminBodyError extends ProtocolError {
  constructor(readonly problems: readonly string[]) {
    super('invalid_request', `the body is not valid: ${problems.join('; ')}`, 400);
  }

  override toJSON(): Record<string, string | readonly string[]> {
    return { ...super.toJSON(), problems: this.problems };
  }
}

/** 409: the item exists already (POST). */
export class AlreadyExistsError extends ProtocolError {
  constructor(description: string) { super('already_exists', description, 409); }
}

/** 409: CONFIGURATION_STORE is not `database`, so the configuration cannot be changed here. */
export class ConfigurationReadOnlyError extends ProtocolError {
  constructor() {
    super('configuration_read_only', 'the admin API needs CONFIGURATION_STORE=database; edit CONFIG_FILE instead', 409);
  }
}

/** 409: a scope that clients or API resources still name cannot be deleted (the store would break the file's rules). */
export class InUseError extends ProtocolError {
  constructor(readonly usedBy: readonly string[], what: string) {
    super('in_use', `${what} is still named by ${usedBy.join(', ')}; remove it there first`, 409);
  }

  override toJSON(): Record<string, string | readonly string[]> {
    return { ...super.toJSON(), usedBy: this.usedBy };
  }
}

/** 412: If-Match names another version than the stored one. */
export class PreconditionFailedError extends ProtocolError {
  constructor() { super('precondition_failed', 'the item changed since it was read (If-Match does not match its ETag); read it again', 412); }
}
