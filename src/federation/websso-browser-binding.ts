/**
 * The cookie that binds a WebSSO sign-in to the browser that began it (login CSRF: RFC 6749 §10.12, and
 * SAML's RelayState as the Shibboleth SP binds it): a random value, of which only the hash is kept with the
 * pending request; the answer is accepted only from a browser presenting the value. A browser keeps its
 * value across sign-ins, so that sign-ins begun in two tabs both finish.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const BINDING = /^[A-Za-z0-9_-]{43}$/;

/** The browser's binding when it presents a well-formed one, else a new one. */
export function browserBinding(presented: string | undefined): string {
  return presented && BINDING.test(presented) ? presented : randomBytes(32).toString('base64url');
}

/** The hash kept in place of a secret (the binding, a state, a RelayState). */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Whether `presented` is the secret of `hash` (compared in constant time). */
export function matchesHash(hash: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const presentedHash = secretHash(presented);
  return hash.length === presentedHash.length && timingSafeEqual(Buffer.from(hash), Buffer.from(presentedHash));
}
