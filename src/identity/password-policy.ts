/**
 * [security_compliance] password_regex and password_regex_description, as
 * Keystone's validate_password applies them (re.match: anchored at the start
 * only). The regex is Python's; the common differences from JavaScript's
 * (named groups) are translated.
 */
import type { KeystoneConfig } from '../config/options.js';
import { PasswordValidationError } from '../common/errors.js';
import { log } from '../log/logger.js';
import { PasswordRequirementsValidationError } from './identity-errors.js';

const compiled = new Map<string, RegExp | null>();

function compile(pattern: string): RegExp | null {
  if (compiled.has(pattern)) return compiled.get(pattern) as RegExp | null;
  const source = pattern.replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>').replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>');
  let re: RegExp | null = null;
  for (const flags of ['uy', 'y']) {
    try {
      re = new RegExp(source, flags);
      break;
    } catch {
      // try the next flags
    }
  }
  compiled.set(pattern, re);
  return re;
}

export function validatePasswordRules(conf: KeystoneConfig, password: unknown): void {
  const pattern = conf.security_compliance.password_regex;
  if (!pattern) return;
  if (typeof password !== 'string') throw new PasswordValidationError('Password must be a string type');
  const re = compile(pattern);
  if (!re) {
    log.error(`Unable to validate password due to invalid regular expression - password_regex: ${pattern}`);
    throw new PasswordValidationError('Unable to validate password due to invalid configuration');
  }
  re.lastIndex = 0;
  if (!re.test(password)) throw new PasswordRequirementsValidationError(conf.security_compliance.password_regex_description);
}
