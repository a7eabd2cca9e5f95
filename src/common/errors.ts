/**
 * Every error a client can see, with Keystone's status code, title and
 * message. Rendered as {"error": {"code", "title", "message"}} by
 * src/server/render-error.ts.
 */
const CLIENT_ERROR_SUFFIX =
  ' The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.';

export class KeystoneError extends Error {
  readonly code: number = 500;
  readonly title: string = 'Internal Server Error';
  /** extra response headers (Allow on 405, Openstack-Auth-Receipt on 401 with a receipt) */
  headers: Record<string, string> = {};
  /** a body to send instead of the standard error body (the MFA receipt) */
  body?: unknown;
}

export class ValidationError extends KeystoneError {
  override readonly code = 400;
  override readonly title = 'Bad Request';
  constructor(detail: string, suffix = true) {
    super(suffix ? detail + CLIENT_ERROR_SUFFIX : detail);
  }
}

/** Schema failures: name the failing property, never dump the schema. */
export class SchemaValidationError extends ValidationError {
  constructor(detail: string) {
    super(detail, false);
  }
}

export class PasswordValidationError extends ValidationError {
  constructor(detail: string) {
    super(`Password validation error: ${detail}.`, false);
  }
}

export class Unauthorized extends KeystoneError {
  override readonly code = 401;
  override readonly title = 'Unauthorized';
  constructor(message = 'The request you have made requires authentication.') {
    super(message);
  }
}

export class AuthMethodNotSupported extends Unauthorized {
  constructor() {
    super('Attempted to authenticate with an unsupported method.');
  }
}

export class PasswordExpired extends Unauthorized {
  constructor(userId: string) {
    super(`The password is expired and needs to be changed for user: ${userId}.`);
  }
}

export class AccountLocked extends Unauthorized {
  constructor(userId: string) {
    super(`The account is locked for user: ${userId}.`);
  }
}

export class Forbidden extends KeystoneError {
  override readonly code = 403;
  override readonly title = 'Forbidden';
  constructor(message = 'You are not authorized to perform the requested action.') {
    super(message);
  }
}

export class ForbiddenAction extends Forbidden {
  constructor(action: string) {
    super(`You are not authorized to perform the requested action: ${action}.`);
  }
}

export class NotFound extends KeystoneError {
  override readonly code = 404;
  override readonly title = 'Not Found';
  constructor(message = 'Could not find the requested resource.') {
    super(message);
  }
}

/** "Could not find user: abc." — Keystone's XNotFound family. */
export class EntityNotFound extends NotFound {
  constructor(entity: string, id: string) {
    super(`Could not find ${entity}: ${id}.`);
  }
}

export class TokenNotFound extends NotFound {
  constructor(message = 'Could not find token') {
    super(message);
  }
}

export class MethodNotAllowed extends KeystoneError {
  override readonly code = 405;
  override readonly title = 'Method Not Allowed';
  constructor(allowed: string[]) {
    super('The method is not allowed for the requested URL.');
    this.headers = { Allow: allowed.join(', ') };
  }
}

export class Conflict extends KeystoneError {
  override readonly code = 409;
  override readonly title = 'Conflict';
}

/** "Conflict occurred attempting to store user - Duplicate entry found with name alice at domain ID default." */
export class DuplicateEntry extends Conflict {
  constructor(entity: string, detail: string) {
    super(`Conflict occurred attempting to store ${entity} - ${detail}.`);
  }
}

/** Keystone's Gone: an API that no longer exists (the PKI certificates of OS-SIMPLE-CERT and v2.0). */
export class Gone extends KeystoneError {
  override readonly code = 410;
  override readonly title = 'Gone';
  constructor(message = 'The service you have requested is no longer available on this server.') {
    super(message);
  }
}

export class RequestEntityTooLarge extends KeystoneError {
  override readonly code = 413;
  override readonly title = 'Request Entity Too Large';
  constructor(limit: number) {
    super(`Request is too large. Larger than max_request_body_size (${limit}).`);
  }
}

export class UnexpectedError extends KeystoneError {
  override readonly code = 500;
  override readonly title = 'Internal Server Error';
  constructor(message = 'An unexpected error prevented the server from fulfilling your request.') {
    super(message);
  }
}

export class NotImplemented extends KeystoneError {
  override readonly code = 501;
  override readonly title = 'Not Implemented';
  constructor(message = 'The action you have requested has not been implemented.') {
    super(message);
  }
}

/**
 * The client closed its connection before its answer: work queued for it (a password hash waiting for its turn) is
 * not done. Nobody reads the answer; the access log and metrics say 499, as nginx does.
 */
export class ClientClosedRequest extends KeystoneError {
  override readonly code = 499;
  override readonly title = 'Client Closed Request';
  constructor() {
    super('The client closed the connection before the answer.');
  }
}

export class ServiceUnavailable extends KeystoneError {
  override readonly code = 503;
  override readonly title = 'Service Unavailable';
  constructor(message = 'The service is temporarily unavailable: the identity database cannot be reached. Try again later.') {
    super(message);
  }
}

/**
 * The OAuth 2.0 token endpoint's errors (POST /v3/OS-OAUTH2/token, RFC 6749 section 5.2), as Keystone's
 * OAuth2Error: {"error": "invalid_client", "error_description": "…"} with the status of the failure
 * behind it (a 401 carries WWW-Authenticate as every 401 does).
 */
export type OAuth2ErrorKind = 'invalid_client' | 'invalid_request' | 'unsupported_grant_type' | 'other_error';

export class OAuth2Error extends KeystoneError {
  override readonly code: number;
  override readonly title: string;
  /**
   * `kind`, and the failure it reports (an authentication's, when there is one): the reason label
   * of keystone_auth_failures_total.
   */
  constructor(
    code: number,
    title: string,
    readonly kind: OAuth2ErrorKind,
    description: string,
    readonly underlying?: KeystoneError,
  ) {
    super(description);
    this.code = code;
    this.title = title;
    this.body = { error: kind, error_description: description };
  }
}

/** The message of anything thrown: an Error's message, else its string form. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The stack of anything thrown (for the log): an Error's stack, else its string form. */
export function stackOf(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
