/**
 * Keystone's password-rule errors (keystone/exception.py), as the identity
 * manager raises them. Each is a 400 except PasswordVerificationError (403).
 */
import { Forbidden, ValidationError } from '../common/errors.js';

/** [security_compliance] password_regex did not match: the operator's description is the detail. */
export class PasswordRequirementsValidationError extends ValidationError {
  constructor(detail: string | null) {
    super(`The password does not match the requirements: ${detail ?? 'None'}.`, false);
  }
}

export class PasswordHistoryValidationError extends ValidationError {
  constructor(uniqueCount: number) {
    super(
      `The new password cannot be identical to a previous password. The total number which includes the new password must be unique is ${uniqueCount}.`,
      false,
    );
  }
}

export class PasswordAgeValidationError extends ValidationError {
  constructor(minAgeDays: number, daysLeft: number) {
    super(
      `You cannot change your password at this time due to the minimum password age. Once you change your password, it must be used for ${minAgeDays} day(s) before it can be changed. Please try again in ${daysLeft} day(s) or contact your administrator to reset your password.`,
      false,
    );
  }
}

export class PasswordSelfServiceDisabled extends ValidationError {
  constructor() {
    super(
      'You cannot change your password at this time due to password policy disallowing password changes. Please contact your administrator to reset your password.',
      false,
    );
  }
}

/** [DEFAULT] strict_password_check: a password longer than the hasher takes is refused, not truncated. */
export class PasswordVerificationError extends Forbidden {
  constructor(size: number) {
    super(
      `The password length must be less than or equal to ${size}. The server could not comply with the request because the password is invalid.`,
    );
  }
}

/** Keystone's StringLengthExceeded: a value longer than its column. */
export class StringLengthExceeded extends ValidationError {
  constructor(value: string, column: string, length: number) {
    super(`String length exceeded. The length of string '${value}' exceeds the limit of column ${column}(CHAR(${length})).`, false);
  }
}
