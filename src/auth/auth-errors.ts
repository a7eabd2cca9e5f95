/**
 * The errors of the auth flow, with Keystone's messages as its secure mode
 * (insecure_debug = false) renders them: every Unauthorized that could tell
 * an attacker something says only "The request you have made requires
 * authentication."; the ones Keystone formats from arguments (locked
 * account, expired password, application credential errors, receipts) keep
 * their detail.
 */
import { Forbidden, Unauthorized, ValidationError } from '../common/errors.js';

/** keystone.exception.ValidationError(attribute, target) */
export class ExpectingToFind extends ValidationError {
  constructor(attribute: string, target: string) {
    super(`Expecting to find ${attribute} in ${target}.`);
  }
}

/** keystone.exception.ValidationSizeError (max_param_size, max_password_length). */
export class ValidationSizeError extends ValidationError {
  constructor(attribute: string, size: number) {
    super(
      `Request attribute ${attribute} must be less than or equal to ${size}. The server could not comply with the request because the attribute size is invalid (too large). The client is assumed to be in error.`,
      false,
    );
  }
}

/** Two scopes at once: the sentence operators search for (Keystone before 22), or Keystone's generic one. */
export class ConflictingScopes extends ValidationError {
  constructor(message: string) {
    super(message, false);
  }
}

/** keystone.exception.AuthMethodNotSupported: 401 with error.identity.methods (the configured methods). */
export class UnsupportedAuthMethod extends Unauthorized {
  constructor(methods: readonly string[]) {
    super('Attempted to authenticate with an unsupported method.');
    this.body = { error: { code: 401, title: 'Unauthorized', message: this.message, identity: { methods: [...methods] } } };
  }
}

/** keystone.exception.ApplicationCredentialAuthError */
export class ApplicationCredentialAuthError extends Unauthorized {
  constructor(detail: string) {
    super(`Error authenticating with application credential: ${detail}`);
    this.body = { error: { code: 401, title: 'Unauthorized', message: this.message, identity: {} } };
  }
}

export class ForbiddenActionError extends Forbidden {
  constructor(action: string) {
    super(`You are not authorized to perform the requested action: ${action}.`);
  }
}

/** A generic 401: the secure rendering of every detailed Unauthorized. */
export function unauthorized(): Unauthorized {
  return new Unauthorized();
}

const AMENDMENT = '(Disable insecure_debug mode to suppress these details.)';

/**
 * Keystone's SecurityError rendering: the detail reaches the client only
 * with [DEFAULT] insecure_debug (with its amendment); otherwise the class's
 * generic message.
 */
export function securityUnauthorized(insecureDebug: boolean, detail: string): Unauthorized {
  return insecureDebug ? new Unauthorized(`${detail} ${AMENDMENT}`) : new Unauthorized();
}

export function securityForbidden(insecureDebug: boolean, detail: string): Forbidden {
  return insecureDebug ? new Forbidden(`${detail} ${AMENDMENT}`) : new Forbidden();
}
