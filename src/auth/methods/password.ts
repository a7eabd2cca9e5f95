/**
 * The password method: the user by id, or by name with the domain by id or
 * name, then the identity manager's check (lockout, hash, expiry). Wrong
 * password, unknown user, unknown or disabled domain, disabled user: the
 * same 401 after the same hashing time. Hashing runs off the event loop
 * (the identity module's async hasher).
 */
import { Unauthorized } from '../../common/errors.js';
import type { ProviderApi } from '../../common/provider-api.js';
import { ExpectingToFind } from '../auth-errors.js';
import { lookupUser } from '../user-lookup.js';
import type { AuthMethod, AuthMethodResult } from './method.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const passwordMethod: AuthMethod = {
  name: 'password',
  async authenticate(payload: unknown, request, providers: ProviderApi): Promise<AuthMethodResult> {
    if (!isObject(payload) || !('user' in payload)) throw new ExpectingToFind('user', 'password');
    const userRef = payload.user;
    const password = isObject(userRef) ? userRef.password : undefined;
    const user = await lookupUser(providers, userRef, 'password');
    if (!user || typeof password !== 'string') {
      await providers.identity_api.passwordHasher.verifyAgainstDummy(typeof password === 'string' ? password : '', request.signal);
      throw new Unauthorized();
    }
    const authenticated = await providers.identity_api.authenticatePassword(user, password, request.signal);
    return { userId: authenticated.id };
  },
};
