/**
 * Keystone's BaseUserInfo: the user of a password (or totp, or application
 * credential by name) payload, by id or by name within a domain given by id
 * or name. Every way of not finding an enabled user in an enabled domain is
 * the same 401, after spending the time a password check would take.
 */
import type { ProviderApi } from '../common/provider-api.js';
import type { User } from '../identity/identity-types.js';
import { Unauthorized } from '../common/errors.js';
import { ExpectingToFind } from './auth-errors.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An enabled domain by id or name, or a 401. */
export async function lookupDomain(providers: ProviderApi, ref: unknown): Promise<{ id: string; name: string }> {
  if (!isObject(ref) || (typeof ref.id !== 'string' && typeof ref.name !== 'string')) throw new ExpectingToFind('id or name', 'domain');
  const domain =
    typeof ref.name === 'string' && ref.name
      ? await providers.resource_api.findDomainByName(ref.name)
      : await providers.resource_api.findDomain(String(ref.id));
  if (!domain || !domain.enabled) throw new Unauthorized();
  return { id: domain.id, name: domain.name };
}

export interface UserLookupResult {
  /** null when no usable user was found: the caller spends dummy hashing time and answers 401 */
  user: User | null;
}

/**
 * The enabled user named by `userRef` ({id} or {name, domain}) in an enabled
 * domain; null for anything else. Validation errors (no domain with a name)
 * are thrown as 400s, as Keystone's.
 */
export async function lookupUser(providers: ProviderApi, userRef: unknown, method: string): Promise<User | null> {
  if (!isObject(userRef)) throw new ExpectingToFind('user', method);
  const id = typeof userRef.id === 'string' ? userRef.id : undefined;
  const name = typeof userRef.name === 'string' ? userRef.name : undefined;
  if (!id && !name) throw new ExpectingToFind('id or name', 'user');
  let user: User | null;
  if (name) {
    if (!('domain' in userRef)) throw new ExpectingToFind('domain', 'user');
    let domainId: string;
    try {
      domainId = (await lookupDomain(providers, userRef.domain)).id;
    } catch (err) {
      if (err instanceof Unauthorized) return null;
      throw err;
    }
    user = await providers.identity_api.findUserByName(name, domainId);
  } else {
    user = await providers.identity_api.findUser(id as string);
    if (user) {
      const domain = await providers.resource_api.findDomain(user.domainId);
      if (!domain || !domain.enabled) return null;
    }
  }
  if (!user || !user.enabled) return null;
  return user;
}
