/**
 * The application_credential method: by id (the credential's owner is the
 * user, whatever the request says), or by name with the user; the secret is
 * checked against its hash (off the event loop), an expired credential
 * fails as a wrong secret does. The token is scoped to the credential's
 * project (authentication/resolve-requested-scope.ts refuses any requested
 * scope).
 */
import { EntityNotFound, Unauthorized } from '../../common/errors.js';
import type { ProviderApi } from '../../common/provider-api.js';
import { ExpectingToFind } from '../auth-errors.js';
import { lookupUser } from '../user-lookup.js';
import type { AuthMethod, AuthMethodResult } from './method.js';
import type { ApplicationCredential } from '../../application-credential/application-credential-types.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The credential a payload names (Keystone's AppCredInfo and _lookup_app_cred). */
export async function lookupApplicationCredential(
  providers: ProviderApi,
  payload: unknown,
): Promise<{ cred: ApplicationCredential; userId: string }> {
  if (!isObject(payload)) throw new ExpectingToFind('id or name', 'application credential');
  const store = providers.application_credential_api;
  if (typeof payload.id === 'string' && payload.id) {
    const cred = await store.find(payload.id);
    if (!cred) throw new EntityNotFound('Application Credential', payload.id);
    const user = await lookupUser(providers, { id: cred.userId }, 'application_credential');
    if (!user) throw new Unauthorized();
    return { cred, userId: user.id };
  }
  if (typeof payload.name !== 'string' || !payload.name) throw new ExpectingToFind('name or ID', 'application credential');
  if (!('user' in payload)) throw new ExpectingToFind('user', 'application credential');
  const user = await lookupUser(providers, payload.user, 'application_credential');
  if (!user) throw new Unauthorized();
  const creds = await store.findByName(user.id, payload.name);
  if (creds.length !== 1) throw new Unauthorized();
  return { cred: creds[0], userId: user.id };
}

export const applicationCredentialMethod: AuthMethod = {
  name: 'application_credential',
  async authenticate(payload: unknown, request, providers: ProviderApi): Promise<AuthMethodResult> {
    const { cred, userId } = await lookupApplicationCredential(providers, payload);
    const secret = isObject(payload) && typeof payload.secret === 'string' ? payload.secret : null;
    const store = providers.application_credential_api;
    const ok =
      secret !== null
        ? await store.verifySecret(cred, secret, request.signal)
        : (await providers.identity_api.passwordHasher.verifyAgainstDummy('', request.signal), false);
    if (!ok || store.isExpired(cred)) throw new Unauthorized();
    return { userId, appCredId: cred.id };
  },
};
