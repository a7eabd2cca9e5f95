/** Users and groups as Keystone's v3 API renders them. */
import type { Request } from 'express';
import type { Group, User } from '../../identity/identity-types.js';
import { entityLinks } from '../collection.js';

/** Keys a user carries of its own; anything else in a body is kept in `extra`. */
export const USER_ATTRIBUTES = [
  'id',
  'name',
  'domain_id',
  'password',
  'enabled',
  'default_project_id',
  'password_expires_at',
  'options',
  'federated',
  'links',
] as const;
export const GROUP_ATTRIBUTES = ['id', 'name', 'domain_id', 'description', 'links'] as const;

/** Keystone's filter_user: never a password, tenants, groups or domains. */
const HIDDEN_USER_KEYS = ['password', 'tenants', 'groups', 'domains'];

function publicExtra(extra: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(extra).filter(([k]) => !HIDDEN_USER_KEYS.includes(k)));
}

/** Keystone's User.to_dict through filter_user, with links; `extra` repeated only in update responses, as Keystone does. */
export function renderUser(
  req: Request,
  user: User,
  options: { includeExtraDict?: boolean; federated?: readonly unknown[] } = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...publicExtra(user.extra),
    id: user.id,
    name: user.name,
    domain_id: user.domainId,
    enabled: user.enabled,
  };
  if (user.defaultProjectId !== null) out.default_project_id = user.defaultProjectId;
  out.password_expires_at = user.passwordExpiresAt;
  out.options = user.options;
  if (options.includeExtraDict) {
    const { password: _p, tenants: _t, ...extra } = user.extra;
    out.extra = extra;
  }
  // Keystone's `federated`: shown by get, create and update when the user has federated identities
  if (options.federated?.length) out.federated = options.federated;
  out.links = entityLinks(req, `/v3/users/${user.id}`);
  return out;
}

export function renderGroup(req: Request, group: Group, options: { membership?: boolean } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...group.extra,
    id: group.id,
    name: group.name,
    domain_id: group.domainId,
    description: group.description,
  };
  if (options.membership) out.membership_expires_at = null;
  out.links = entityLinks(req, `/v3/groups/${group.id}`);
  return out;
}
