/**
 * Authentication step 2: every method the request lists is in its identity
 * (else 400), then every one is enabled in [auth] methods (else 401 naming
 * the enabled ones). The methods to run, each once, in the order listed.
 */
import { ExpectingToFind, UnsupportedAuthMethod } from '../auth-errors.js';
import type { AuthRequest } from '../auth-request.js';
import type { AuthMethod } from '../methods/method.js';
import type { EnabledMethods } from '../methods/enabled-methods.js';

export function checkMethods(auth: AuthRequest, enabled: EnabledMethods): AuthMethod[] {
  const names = [...new Set(auth.identity.methods)];
  for (const name of names) if (!(name in auth.identity)) throw new ExpectingToFind(name, 'identity');
  return names.map((name) => {
    const method = enabled.get(name);
    if (!method) throw new UnsupportedAuthMethod(enabled.names);
    return method;
  });
}
