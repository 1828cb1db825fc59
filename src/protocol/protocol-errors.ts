import type { ErrorPageClient } from './error-page-renderer';
/**
 * OAuth 2.0 / OIDC protocol errors. Thrown by validators and handlers, written as RFC 6749
 * §5.2 JSON (or the error page at interactive endpoints) in exactly one place:
 * ProtocolExceptionFilter.
 */
export class ProtocolError extends Error {
  constructor(
    readonly error: string,
    readonly description: string | undefined,
    readonly status: number,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(description ? `${error}: ${description}` : error);
    this.name = new.target.name;
  }

  toJSON(): Record<string, string | readonly string[]> {
    return this.description ? { error: this.error, error_description: this.description } : { error: this.error };
  }
}

export class InvalidRequestError extends ProtocolError {
  constructor(description?: string) { super('invalid_request', description, 400); }
}
export class InvalidClientError extends ProtocolError {
  /** `basicScheme`: the client tried HTTP Basic, so answer with a challenge (RFC 6749 §5.2). */
  constructor(description = 'client authentication failed', basicScheme = false) {
    super('invalid_client', description, 401, basicScheme ? { 'www-authenticate': 'Basic realm="identity-server"' } : {});
  }
}
export class InvalidGrantError extends ProtocolError {
  constructor(description?: string) { super('invalid_grant', description, 400); }
}
export class UnauthorizedClientError extends ProtocolError {
  constructor(description?: string) { super('unauthorized_client', description, 400); }
}
export class UnsupportedGrantTypeError extends ProtocolError {
  constructor(description?: string) { super('unsupported_grant_type', description, 400); }
}
export class UnsupportedResponseTypeError extends ProtocolError {
  constructor(description?: string) { super('unsupported_response_type', description, 400); }
}
export class InvalidScopeError extends ProtocolError {
  constructor(description?: string) { super('invalid_scope', description, 400); }
}
export class InvalidTargetError extends ProtocolError {
  constructor(description?: string) { super('invalid_target', description, 400); }
}
export class AccessDeniedError extends ProtocolError {
  constructor(description?: string) { super('access_denied', description, 400); }
}
export class AuthorizationPendingError extends ProtocolError {
  constructor() { super('authorization_pending', 'the user has not yet completed the authorization', 400); }
}
export class SlowDownError extends ProtocolError {
  constructor() { super('slow_down', 'polling too fast', 400); }
}
export class ExpiredTokenError extends ProtocolError {
  constructor(description = 'the device code has expired') { super('expired_token', description, 400); }
}
export class InvalidTokenError extends ProtocolError {
  /** RFC 6750 §3: bearer-token errors carry a WWW-Authenticate challenge. */
  constructor(description = 'the access token is invalid') {
    super('invalid_token', description, 401, {
      'www-authenticate': `Bearer error="invalid_token", error_description="${description.replace(/"/g, "'")}"`,
    });
  }
}
export class InvalidRequestUriError extends ProtocolError {
  constructor(description?: string) { super('invalid_request_uri', description, 400); }
}
export class UnsupportedTokenTypeError extends ProtocolError {
  constructor(description?: string) { super('unsupported_token_type', description, 400); }
}
export class NotFoundError extends ProtocolError {
  constructor(description = 'no such endpoint') { super('not_found', description, 404); }
}
export class PayloadTooLargeError extends ProtocolError {
  constructor(description = 'the request body is too large') { super('invalid_request', description, 413); }
}
export class UnsupportedMediaTypeError extends ProtocolError {
  constructor(description = 'the content type must be application/x-www-form-urlencoded') { super('invalid_request', description, 415); }
}
export class ServerError extends ProtocolError {
  constructor(description = 'an unexpected error occurred') { super('server_error', description, 500); }
}
export class TemporarilyUnavailableError extends ProtocolError {
  constructor(description?: string, retryAfterSeconds?: number) {
    super('temporarily_unavailable', description, 503, retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) });
  }
}

/**
 * An error at an interactive endpoint that must be shown to the user, never redirected
 * (e.g. unknown client, unregistered redirect_uri).
 */
export class ErrorPageError extends ProtocolError {
  /** the application to offer a link back to, when one is known (set with `withClient`) */
  client?: ErrorPageClient;

  constructor(
    error: string,
    description?: string,
    status = 400,
    headers: Readonly<Record<string, string>> = {},
    /** a local URL the page offers as the way back (e.g. the sign-in page of the interrupted request) */
    readonly backUrl?: string,
  ) {
    super(error, description, status, headers);
  }

  withClient(client: ErrorPageClient | undefined): this {
    this.client = client;
    return this;
  }
}
