/**
 * /v3/policies (Keystone's api/policy.py, deprecated since Queens but
 * served): opaque policy blobs with a MIME type — list (type filter), show,
 * create, update, delete. Nothing here is enforced; the rules that decide
 * requests come from [oslo_policy] policy_file (src/rbac).
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { PolicyBlob } from '../../policy/policy-manager.js';
import { authorize } from '../authorize.js';
import { validateBody } from '../validate-body.js';
import { entityLinks, renderCollection } from '../collection.js';
import { bodyMember, extraAttributes, filterRendered, normalizeKeys, rejectNul } from './request-input.js';
import { pathParam } from '../request-params.js';

const POLICY_PROPERTIES = { blob: { type: 'string' }, type: { type: 'string', maxLength: 255 } } as const;
const POLICY_CREATE = { type: 'object', properties: POLICY_PROPERTIES, required: ['blob', 'type'], additionalProperties: true } as const;
const POLICY_UPDATE = { type: 'object', properties: POLICY_PROPERTIES, minProperties: 1, additionalProperties: true } as const;
const POLICY_ATTRIBUTES = ['id', 'type', 'blob', 'links'] as const;

/** The policy's attributes as Keystone's policy driver gives them (its extra ones at the top level). */
export function policyView(policy: PolicyBlob): Record<string, unknown> {
  return { ...policy.extra, id: policy.id, type: policy.type, blob: policy.blob };
}

function renderPolicy(req: Request, policy: PolicyBlob): Record<string, unknown> {
  return { ...policyView(policy), links: entityLinks(req, `/v3/policies/${policy.id}`) };
}

export function registerPolicyRoutes(routes: RouteTable, providers: ProviderApi): void {
  const store = providers.policy_api;
  const listLimit = () => {
    const section = (providers.conf as unknown as { policy?: { list_limit?: number | null } }).policy;
    return section?.list_limit ?? providers.conf.DEFAULT.list_limit ?? null;
  };

  const list = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:list_policies');
    const rendered = filterRendered(
      req,
      (await store.list()).map((p) => renderPolicy(req, p)),
      ['type'],
    );
    res.json(renderCollection(req, 'policies', rendered, listLimit()));
  };

  const show = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:get_policy');
    res.json({ policy: renderPolicy(req, await store.get(pathParam(req, 'policy_id'))) });
  };

  const create = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:create_policy');
    const body = validateBody(POLICY_CREATE, bodyMember(req.body, 'policy'));
    rejectNul(body);
    const policy = normalizeKeys(body);
    const created = await store.create({
      type: policy.type,
      blob: policy.blob,
      extra: extraAttributes(policy, POLICY_ATTRIBUTES),
    });
    res.status(201).json({ policy: renderPolicy(req, created) });
  };

  const update = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:update_policy');
    const body = validateBody(POLICY_UPDATE, bodyMember(req.body, 'policy'));
    rejectNul(body);
    const updated = await store.update(pathParam(req, 'policy_id'), {
      id: 'id' in body ? body.id : undefined,
      type: body.type,
      blob: body.blob,
      extra: extraAttributes(body, POLICY_ATTRIBUTES),
    });
    res.json({ policy: renderPolicy(req, updated) });
  };

  const remove = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:delete_policy');
    await store.delete(pathParam(req, 'policy_id'));
    res.status(204).end();
  };

  routes.getAndHead('/v3/policies', list, { policy: 'identity:list_policies', rel: 'policies' });
  routes.post('/v3/policies', create, { policy: 'identity:create_policy', rel: 'policies' });
  routes.getAndHead('/v3/policies/:policy_id', show, { policy: 'identity:get_policy', rel: 'policy' });
  routes.patch('/v3/policies/:policy_id', update, { policy: 'identity:update_policy', rel: 'policy' });
  routes.delete('/v3/policies/:policy_id', remove, { policy: 'identity:delete_policy', rel: 'policy' });
}
