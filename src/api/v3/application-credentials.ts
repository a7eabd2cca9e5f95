/**
 * /v3/users/{user_id}/application_credentials (Keystone's api/users.py):
 * create (for the caller only, on the caller's project, with roles of the
 * caller's token; the secret generated unless given and shown once), list
 * (?name=), show, delete. Tokens of trusts and of other delegations
 * (OAuth1, EC2) are refused; an application credential's own token may
 * manage credentials only when it is unrestricted.
 */
import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { Caller } from '../../auth/caller.js';
import { ForbiddenAction } from '../../common/errors.js';
import { newId } from '../../common/ids.js';
import { securityForbidden } from '../../auth/auth-errors.js';
import { authorize } from '../authorize.js';
import { parameterTypes, validateBody } from '../validate-body.js';
import { entityLinks, renderCollection } from '../collection.js';
import { roleTarget } from './roles.js';
import { isDelegatedMethod } from '../../trust/delegation.js';
import { parseExpiresAt, resolveRoleRefs, ROLE_REFS } from './delegation-input.js';
import { ApplicationCredentialValidationError } from '../../application-credential/application-credential-manager.js';
import type { StoredApplicationCredential } from '../../application-credential/application-credential-types.js';
import { pathParam, queryString } from '../request-params.js';

const ACCESS_RULES = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      path: { type: 'string', minLength: 0, maxLength: 225, pattern: '^\\/.*' },
      method: { type: 'string', pattern: '^(POST|GET|HEAD|PATCH|PUT|DELETE)$' },
      service: parameterTypes.id,
      id: parameterTypes.id,
    },
    additionalProperties: false,
  },
} as const;

const APP_CRED_CREATE = {
  type: 'object',
  properties: {
    name: parameterTypes.name,
    description: { type: ['string', 'null'] },
    secret: { type: ['null', 'string'] },
    expires_at: { type: ['null', 'string'] },
    roles: ROLE_REFS,
    unrestricted: { type: 'boolean' },
    access_rules: ACCESS_RULES,
  },
  required: ['name'],
  additionalProperties: true,
} as const;

/** Keystone's _generate_secret: 64 random bytes, urlsafe base64 without padding. */
function generateSecret(): string {
  return randomBytes(64).toString('base64url');
}

async function rolesOf(providers: ProviderApi, cred: StoredApplicationCredential): Promise<Record<string, unknown>[]> {
  const roles: Record<string, unknown>[] = [];
  for (const { id } of cred.roles) {
    const role = await providers.role_api.findRole(id);
    if (role) roles.push(roleTarget(role));
  }
  return roles;
}

/** As Keystone 22 renders a credential (create, list and show alike): the owner and system included, never the hash. */
async function renderAppCred(req: Request, providers: ProviderApi, cred: StoredApplicationCredential): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {
    id: cred.id,
    name: cred.name,
    description: cred.description,
    user_id: cred.userId,
    project_id: cred.projectId,
    system: cred.system,
    // Keystone's datetime rendering: microseconds, no zone
    expires_at: cred.expiresAtText,
    unrestricted: cred.unrestricted,
    roles: await rolesOf(providers, cred),
  };
  if (cred.accessRules.length)
    out.access_rules = cred.accessRules.map((r) => ({ id: r.id, service: r.service, path: r.path, method: r.method }));
  out.links = entityLinks(req, `/v3/application_credentials/${cred.id}`);
  return out;
}

/**
 * Keystone's _block_delegated_token_app_creds: trust-scoped tokens and other
 * delegations (not application credentials: see refuseRestricted) cannot
 * manage application credentials or access rules.
 */
export function refuseDelegatedToken(providers: ProviderApi, caller: Caller): void {
  if (caller.methods.includes('application_credential')) return;
  if (caller.trustId || isDelegatedMethod(providers.conf, caller)) {
    throw securityForbidden(
      providers.conf.DEFAULT.insecure_debug,
      'Cannot manage application credentials with a token issued via delegation.',
    );
  }
}

/** Keystone's _check_unrestricted_application_credential. */
async function refuseRestricted(providers: ProviderApi, caller: Caller): Promise<void> {
  if (!caller.methods.includes('application_credential')) return;
  const cred = caller.applicationCredentialId ? await providers.application_credential_api.find(caller.applicationCredentialId) : null;
  if (!cred?.unrestricted) {
    throw new ForbiddenAction("Using method 'application_credential' is not allowed for managing additional application credentials.");
  }
}

/**
 * The owner rule (`user_id:%(user_id)s`) reads the credential's owner, not
 * the path's user: Keystone's _update_request_user_id_attribute rewrites
 * the view argument, and so does this (an unknown credential keeps the
 * path's user, and is a 404 later).
 */
async function ownerTarget(req: Request, providers: ProviderApi): Promise<Record<string, unknown>> {
  const cred = await providers.application_credential_api.findStored(pathParam(req, 'application_credential_id'));
  if (!cred) return {};
  (req.params as Record<string, string>).user_id = cred.userId;
  return { user_id: cred.userId };
}

export function registerApplicationCredentialRoutes(routes: RouteTable, providers: ProviderApi): void {
  const manager = providers.application_credential_api;

  routes.post(
    '/v3/users/:user_id/application_credentials',
    async (req, res) => {
      const userId = pathParam(req, 'user_id');
      const caller = await authorize(req, providers, 'identity:create_application_credential', { user_id: userId });
      const raw = (req.body as { application_credential?: unknown } | undefined)?.application_credential ?? {};
      const body = validateBody(APP_CRED_CREATE, raw);
      refuseDelegatedToken(providers, caller);
      await refuseRestricted(providers, caller);
      if (caller.userId !== userId) throw new ForbiddenAction('Cannot create an application credential for another user.');
      let roleIds: string[];
      if (body.roles?.length) {
        roleIds = await resolveRoleRefs(providers, body.roles);
        // not more than the caller's token carries (a trustee's or a credential's token included)
        const tokenRoles = new Set(caller.roles.map((r) => r.id));
        for (const id of roleIds)
          if (!tokenRoles.has(id))
            throw new ApplicationCredentialValidationError('Cannot create an application credential with unassigned role');
      } else {
        roleIds = caller.roles.map((r) => r.id);
      }
      const secret = body.secret || generateSecret();
      const cred = await manager.create({
        id: newId(),
        name: body.name,
        userId,
        projectId: caller.projectId ?? null,
        description: body.description ?? null,
        secret,
        expiresAt: body.expires_at ? (parseExpiresAt(body.expires_at)?.iso ?? null) : null,
        unrestricted: body.unrestricted ?? null,
        roleIds,
        accessRules: (body.access_rules ?? []).map((r) => ({ ...r, id: r.id ?? newId() })),
      });
      res.status(201).json({ application_credential: { ...(await renderAppCred(req, providers, cred)), secret } });
    },
    { policy: 'identity:create_application_credential', rel: 'application_credentials' },
  );

  routes.getAndHead(
    '/v3/users/:user_id/application_credentials',
    async (req, res) => {
      const userId = pathParam(req, 'user_id');
      const caller = await authorize(req, providers, 'identity:list_application_credentials', { user_id: userId });
      refuseDelegatedToken(providers, caller);
      const name = queryString(req, 'name');
      const creds = await manager.list(userId, { name });
      const rendered = await Promise.all(creds.map((c) => renderAppCred(req, providers, c)));
      res.json(renderCollection(req, 'application_credentials', rendered, providers.conf.DEFAULT.list_limit));
    },
    { policy: 'identity:list_application_credentials', rel: 'application_credentials' },
  );

  routes.getAndHead(
    '/v3/users/:user_id/application_credentials/:application_credential_id',
    async (req, res) => {
      const caller = await authorize(req, providers, 'identity:get_application_credential', await ownerTarget(req, providers));
      refuseDelegatedToken(providers, caller);
      const cred = await manager.get(pathParam(req, 'application_credential_id'));
      res.json({ application_credential: await renderAppCred(req, providers, cred) });
    },
    { policy: 'identity:get_application_credential', rel: 'application_credential' },
  );

  routes.delete(
    '/v3/users/:user_id/application_credentials/:application_credential_id',
    async (req, res) => {
      const caller = await authorize(req, providers, 'identity:delete_application_credential', await ownerTarget(req, providers));
      refuseDelegatedToken(providers, caller);
      await refuseRestricted(providers, caller);
      await manager.delete(pathParam(req, 'application_credential_id'));
      res.status(204).end();
    },
    { policy: 'identity:delete_application_credential', rel: 'application_credential' },
  );
}
