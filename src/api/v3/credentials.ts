/**
 * /v3/credentials (Keystone's api/credentials.py) and
 * /v3/users/{user_id}/credentials/OS-EC2 (api/users.py).
 *
 * /v3/credentials: create (an ec2 credential's id is the SHA-256 hex of its
 * blob's access key, its project required; the caller's trust or
 * application credential recorded in the blob), list (?user_id, ?type; each
 * credential shown only when get_credential allows it), show, update (the
 * blob only; an ec2 blob keeps its trust_id, app_cred_id, access_token_id
 * and access_id), delete. Delegated tokens (trust-scoped, application
 * credential, OAuth1, EC2) cannot touch credentials at all, except admin
 * delegations on ec2 credentials under
 * [security_compliance] allow_insecure_admin_trust_cross_project_credentials_access.
 *
 * OS-EC2: list, create ({tenant_id}), show and delete by access key, in the
 * EC2 form {access, secret, user_id, tenant_id, trust_id, links}; delegated
 * tokens are refused there without exception.
 */
import type { Request } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { Caller } from '../../auth/caller.js';
import { EntityNotFound, ForbiddenAction, KeystoneError, SchemaValidationError, ValidationError } from '../../common/errors.js';
import { ExpectingToFind } from '../../auth/auth-errors.js';
import { authorize, enforcePolicy, resolveCaller } from '../authorize.js';
import { validateBody, type BodyOf } from '../validate-body.js';
import { entityLinks, renderCollection } from '../collection.js';
import { isDelegatedMethod } from '../../trust/delegation.js';
import { ec2CredentialId, type Credential, type Ec2Credential } from '../../credential/credential-manager.js';
import { pyRepr, pythonJsonDumps } from '../../common/python-text.js';
import { assertOwnDelegation } from '../../credential/blob-delegation.js';
import { pathParam, queryString } from '../request-params.js';

const PROPERTIES = {
  blob: { type: 'string' },
  project_id: { type: 'string' },
  type: { type: 'string' },
  user_id: { type: 'string' },
} as const;

/** Keystone's credential_create without its oneOf (checked by requireCreateAttributes, with Keystone's message). */
const CREDENTIAL_CREATE = {
  type: 'object',
  properties: PROPERTIES,
  additionalProperties: true,
} as const;

type CredentialCreateBody = BodyOf<typeof CREDENTIAL_CREATE>;

/** The oneOf of Keystone's credential_create: blob, type and user_id, and project_id for type "ec2". */
function requireCreateAttributes(
  body: CredentialCreateBody,
): asserts body is CredentialCreateBody & { blob: string; type: string; user_id: string } {
  const required = body.type === 'ec2' ? ['blob', 'type', 'user_id', 'project_id'] : ['blob', 'type', 'user_id'];
  if (required.some((k) => !(k in body))) throw new SchemaValidationError(`${pyRepr(body)} is not valid under any of the given schemas`);
}

const CREDENTIAL_UPDATE = {
  type: 'object',
  properties: { blob: PROPERTIES.blob },
  additionalProperties: false,
  required: ['blob'],
} as const;

const COLUMNS = new Set(['id', 'user_id', 'project_id', 'type', 'blob']);
const isEc2 = (type: unknown): boolean => typeof type === 'string' && type.toLowerCase() === 'ec2';

/** The credential as Keystone's to_dict shows it (extra attributes at the top level), without links. */
function credentialDict(c: Credential): Record<string, unknown> {
  return { ...c.extra, id: c.id, user_id: c.userId, project_id: c.projectId, type: c.type, blob: c.blob };
}

function renderCredential(req: Request, c: Credential): Record<string, unknown> {
  return { ...credentialDict(c), links: entityLinks(req, `/v3/credentials/${c.id}`) };
}

function renderEc2(req: Request, c: Ec2Credential): Record<string, unknown> {
  return {
    user_id: c.userId,
    tenant_id: c.projectId,
    access: c.access,
    secret: c.secret,
    trust_id: c.trustId,
    links: entityLinks(req, `/v3/users/${c.userId}/credentials/OS-EC2/${c.access}`),
  };
}

/** Keystone's _require_primary_auth: delegated tokens never touch credentials (LP#2159643). */
function requirePrimaryAuth(providers: ProviderApi, caller: Caller, type: string | undefined, req: Request): void {
  if (!caller.trustId && !isDelegatedMethod(providers.conf, caller)) return;
  if (providers.conf.security_compliance.allow_insecure_admin_trust_cross_project_credentials_access && isEc2(type)) {
    try {
      enforcePolicy(providers, 'admin_required', {}, caller, req);
      return;
    } catch (err) {
      if (!(err instanceof ForbiddenAction)) throw err;
    }
  }
  throw new ForbiddenAction('Delegated tokens cannot access credentials directly');
}

/** The OS-EC2 variant: no exception for anyone. */
function requirePrimaryAuthForEc2(providers: ProviderApi, caller: Caller): void {
  if (caller.trustId || isDelegatedMethod(providers.conf, caller))
    throw new ForbiddenAction('Delegated tokens cannot access credentials directly');
}

/** Keystone's _validate_blob_json: the ec2 blob is a JSON object with an access key. */
function ec2Blob(blob: unknown): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(blob));
  } catch {
    throw new ValidationError('Invalid blob in credential', false);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || Object.keys(parsed).length === 0)
    throw new ExpectingToFind('blob', 'credential');
  const object = parsed as Record<string, unknown>;
  if (object.access === null || object.access === undefined) throw new ExpectingToFind('access', 'credential');
  return object;
}

/**
 * Keystone 22's PATCH takes the blob only. keystoneclient (and so
 * `openstack credential set`) always sends user_id and type, and project_id
 * when given: those are dropped when they equal the stored values, so the
 * client works, while any real change of owner, type or project is still
 * refused with Keystone's 400.
 */
function withoutUnchangedColumns(raw: unknown, current: Credential | null): unknown {
  if (!current || !raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const stored: Record<string, unknown> = { user_id: current.userId, type: current.type, project_id: current.projectId };
  return Object.fromEntries(Object.entries(raw).filter(([k, v]) => !(k in stored && stored[k] === v)));
}

/** The credential of the path as a policy target ({} when it does not exist: the 404 comes after policy). */
async function credentialTarget(providers: ProviderApi, id: string): Promise<Record<string, unknown>> {
  const found = await providers.credential_api.find(id);
  return found ? { credential: credentialDict(found) } : {};
}

async function createCredential(req: Request, providers: ProviderApi): Promise<Credential> {
  const raw = (req.body as { credential?: unknown } | undefined)?.credential ?? {};
  const caller = await authorize(req, providers, 'identity:create_credential', { credential: raw });
  const body = validateBody(CREDENTIAL_CREATE, raw);
  requireCreateAttributes(body);
  requirePrimaryAuth(providers, caller, body.type, req);
  const normalized: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) normalized[k.replace(/[:-]/g, '_')] = v;
  let id: string | undefined;
  let blob = body.blob;
  if (isEc2(body.type)) {
    const parsed = ec2Blob(body.blob);
    id = ec2CredentialId(String(parsed.access));
    const scope: Record<string, unknown> = {};
    if (caller.trustId) scope.trust_id = caller.trustId;
    if (caller.applicationCredentialId) scope.app_cred_id = caller.applicationCredentialId;
    const delegation = { ...parsed, ...scope };
    // what the blob names must be the caller's own delegation (the EC2/S3 exchange issues under it)
    await assertOwnDelegation(
      providers,
      caller,
      { userId: body.user_id, projectId: typeof normalized.project_id === 'string' ? normalized.project_id : null },
      delegation,
    );
    if (Object.keys(scope).length) blob = pythonJsonDumps(delegation);
  }
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(normalized)) if (!COLUMNS.has(k)) extra[k] = v;
  return providers.credential_api.create({
    id,
    userId: body.user_id,
    projectId: typeof normalized.project_id === 'string' ? normalized.project_id : null,
    type: body.type,
    blob,
    extra,
  });
}

async function listCredentials(req: Request, providers: ProviderApi): Promise<Record<string, unknown>> {
  const caller = await resolveCaller(req, providers);
  // Keystone's target: the caller's own user id, unless system-scoped
  enforcePolicy(
    providers,
    'identity:list_credentials',
    caller.systemScope ? {} : { credential: { user_id: caller.userId ?? null } },
    caller,
    req,
  );
  const userId = queryString(req, 'user_id');
  const type = queryString(req, 'type');
  const filter = { ...(userId !== undefined ? { userId } : {}), ...(type !== undefined ? { type } : {}) };
  const { credentials, truncated } = await providers.credential_api.list(filter, providers.conf.DEFAULT.list_limit ?? null);
  const visible: Record<string, unknown>[] = [];
  for (const c of credentials) {
    try {
      enforcePolicy(providers, 'identity:get_credential', { credential: credentialDict(c) }, caller, req);
      requirePrimaryAuth(providers, caller, c.type, req);
      visible.push(renderCredential(req, c));
    } catch (err) {
      if (!(err instanceof KeystoneError && err.code === 403)) throw err;
    }
  }
  const body = renderCollection(req, 'credentials', visible, null);
  if (truncated) body.truncated = true;
  return body;
}

export function registerCredentialRoutes(routes: RouteTable, providers: ProviderApi): void {
  const { credential_api: credentials } = providers;

  routes.post(
    '/v3/credentials',
    async (req, res) => {
      res.status(201).json({ credential: renderCredential(req, await createCredential(req, providers)) });
    },
    { policy: ['identity:create_credential', 'admin_required'], rel: 'credentials' },
  );

  routes.getAndHead(
    '/v3/credentials',
    async (req, res) => {
      res.status(200).json(await listCredentials(req, providers));
    },
    { policy: ['identity:list_credentials', 'identity:get_credential', 'admin_required'], rel: 'credentials' },
  );

  routes.getAndHead(
    '/v3/credentials/:credential_id',
    async (req, res) => {
      const id = pathParam(req, 'credential_id');
      const caller = await authorize(req, providers, 'identity:get_credential', await credentialTarget(providers, id));
      const credential = await credentials.get(id);
      requirePrimaryAuth(providers, caller, credential.type, req);
      res.status(200).json({ credential: renderCredential(req, credential) });
    },
    { policy: 'identity:get_credential', rel: 'credential' },
  );

  routes.patch(
    '/v3/credentials/:credential_id',
    async (req, res) => {
      const id = pathParam(req, 'credential_id');
      const caller = await authorize(req, providers, 'identity:update_credential', await credentialTarget(providers, id));
      const raw = (req.body as { credential?: unknown } | undefined)?.credential ?? {};
      const changes = validateBody(CREDENTIAL_UPDATE, withoutUnchangedColumns(raw, await credentials.find(id)));
      const current = await credentials.get(id);
      requirePrimaryAuth(providers, caller, current.type, req);
      if (isEc2(current.type)) {
        const next = ec2Blob(changes.blob);
        let old: Record<string, unknown> = {};
        try {
          const parsed: unknown = JSON.parse(current.blob);
          if (parsed && typeof parsed === 'object') old = parsed as Record<string, unknown>;
        } catch {
          /* an unreadable old blob has nothing to keep */
        }
        for (const key of ['trust_id', 'app_cred_id', 'access_token_id', 'access_id']) {
          if (JSON.stringify(old[key] ?? null) !== JSON.stringify(next[key] ?? null))
            throw new ValidationError(`${key} can not be updated for credential`, false);
        }
      }
      enforcePolicy(providers, 'identity:update_credential', { credential: { ...credentialDict(current), ...changes } }, caller, req);
      res.status(200).json({ credential: renderCredential(req, await credentials.update(id, { blob: changes.blob })) });
    },
    { policy: 'identity:update_credential', rel: 'credential' },
  );

  routes.delete(
    '/v3/credentials/:credential_id',
    async (req, res) => {
      const id = pathParam(req, 'credential_id');
      const caller = await authorize(req, providers, 'identity:delete_credential', await credentialTarget(providers, id));
      const credential = await credentials.get(id);
      requirePrimaryAuth(providers, caller, credential.type, req);
      await credentials.delete(id);
      res.status(204).end();
    },
    { policy: 'identity:delete_credential', rel: 'credential' },
  );

  // ---- OS-EC2 ----

  const ec2Path = '/v3/users/:user_id/credentials/OS-EC2';
  const ec2Rel = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-EC2/1.0/rel/';

  routes.getAndHead(
    ec2Path,
    async (req, res) => {
      const caller = await authorize(req, providers, 'identity:ec2_list_credentials');
      requirePrimaryAuthForEc2(providers, caller);
      const refs = await credentials.listEc2(pathParam(req, 'user_id'));
      res.status(200).json(
        renderCollection(
          req,
          'credentials',
          refs.map((c) => renderEc2(req, c)),
          null,
        ),
      );
    },
    { policy: 'identity:ec2_list_credentials', rel: `${ec2Rel}user_credentials` },
  );

  routes.post(
    ec2Path,
    async (req, res) => {
      const userId = pathParam(req, 'user_id');
      const caller = await authorize(req, providers, 'identity:ec2_create_credential', { credential: { user_id: userId } });
      await providers.identity_api.getUser(userId);
      const tenantId = (req.body as { tenant_id?: unknown } | undefined)?.tenant_id;
      if (typeof tenantId !== 'string' || !(await providers.resource_api.findProject(tenantId))) {
        // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a tenant_id that is not a string is named as JavaScript prints it; kept
        throw new EntityNotFound('project', tenantId === undefined || tenantId === null ? 'None' : String(tenantId));
      }
      requirePrimaryAuthForEc2(providers, caller);
      await assertOwnDelegation(providers, caller, { userId, projectId: tenantId }, { trust_id: caller.trustId });
      const created = await credentials.createEc2(userId, tenantId, caller.trustId ?? null);
      res.status(201).json({ credential: renderEc2(req, created) });
    },
    { policy: 'identity:ec2_create_credential', rel: `${ec2Rel}user_credentials` },
  );

  /** The ec2 credential of the path as a policy target: a missing one is a 404 before policy, as Keystone. */
  const ec2Target = async (req: Request) => {
    const accessKey = pathParam(req, 'credential_id');
    return { credential: credentialDict(await credentials.get(ec2CredentialId(accessKey))) };
  };

  routes.getAndHead(
    `${ec2Path}/:credential_id`,
    async (req, res) => {
      const caller = await authorize(req, providers, 'identity:ec2_get_credential', await ec2Target(req));
      const cred = await credentials.getEc2(pathParam(req, 'user_id'), pathParam(req, 'credential_id'));
      requirePrimaryAuthForEc2(providers, caller);
      res.status(200).json({ credential: renderEc2(req, cred) });
    },
    { policy: 'identity:ec2_get_credential', rel: `${ec2Rel}user_credential` },
  );

  routes.delete(
    `${ec2Path}/:credential_id`,
    async (req, res) => {
      const caller = await authorize(req, providers, 'identity:ec2_delete_credential', await ec2Target(req));
      const cred = await credentials.getEc2(pathParam(req, 'user_id'), pathParam(req, 'credential_id'));
      requirePrimaryAuthForEc2(providers, caller);
      await credentials.delete(cred.id);
      res.status(204).end();
    },
    { policy: 'identity:ec2_delete_credential', rel: `${ec2Rel}user_credential` },
  );
}
