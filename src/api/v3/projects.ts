/**
 * /v3/projects (Keystone's api/projects.py ProjectResource): list with the
 * domain_id, enabled, name, parent_id, is_domain and tag filters, show with
 * parents_as_list / parents_as_ids / subtree_as_list / subtree_as_ids,
 * create (a project or, with is_domain, a domain), update and delete.
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { ProjectRef } from '../../resource/resource-types.js';
import type { ProjectPatch } from '../../resource/resource-manager.js';
import { EntityNotFound, ValidationError } from '../../common/errors.js';
import { authorize, resolveCaller } from '../authorize.js';
import { validateBody } from '../validate-body.js';
import { renderCollection } from '../collection.js';
import { CollectionMemo } from '../collection-memo.js';
import { PROJECT_CREATE, PROJECT_UPDATE } from './resource-schemas.js';
import { PROJECT_ATTRIBUTES, projectDict, renderProject } from './resource-render.js';
import {
  bodyMember,
  defaultDomainId,
  extraAttributes,
  filterRendered,
  isPlainObject,
  keystoneBool,
  normalizeKeys,
  queryFlag,
  queryValue,
  rejectNul,
} from './request-input.js';
import { pathParam } from '../request-params.js';

/** The project as a policy target (target.project.*). */
export function projectTarget(ref: ProjectRef): Record<string, unknown> {
  return projectDict(ref);
}

/** Keystone's _build_project_target_enforcement: the project when it exists, nothing otherwise (existence is told after enforcement). */
export async function projectTargetFor(providers: ProviderApi, projectId: string): Promise<Record<string, unknown>> {
  const ref = await providers.resource_api.findProjectRef(projectId);
  return ref ? { project: projectTarget(ref) } : {};
}

export function registerProjectRoutes(routes: RouteTable, providers: ProviderApi): void {
  const { resource_api: resource } = providers;
  const lists = new CollectionMemo(() => providers.token_provider_api.currentVersionSync(), providers.conf.cache.expiration_time);

  /** Keystone's _expand_project_ref. */
  const expand = async (req: Request, ref: ProjectRef, out: Record<string, unknown>, callerUserId: string | undefined) => {
    const parentsAsList = queryFlag(req, 'parents_as_list');
    const parentsAsIds = queryFlag(req, 'parents_as_ids');
    const subtreeAsList = queryFlag(req, 'subtree_as_list');
    const subtreeAsIds = queryFlag(req, 'subtree_as_ids');
    if (parentsAsList && parentsAsIds)
      throw new ValidationError('Cannot use parents_as_list and parents_as_ids query params at the same time.', false);
    if (subtreeAsList && subtreeAsIds)
      throw new ValidationError('Cannot use subtree_as_list and subtree_as_ids query params at the same time.', false);
    // Lists are narrowed to the projects the caller holds a role on, as Keystone does.
    const visible = async (refs: ProjectRef[]) => {
      if (!callerUserId) return refs;
      const ids = new Set(await providers.assignment_api.projectIdsForUser(callerUserId));
      return refs.filter((p) => ids.has(p.id));
    };
    if (parentsAsList)
      out.parents = (await visible(await resource.listParentRefs(ref.id))).map((p) => ({ project: renderProject(req, p) }));
    else if (parentsAsIds) out.parents = await resource.parentsAsIds(ref);
    if (subtreeAsList)
      out.subtree = (await visible(await resource.listSubtreeRefs(ref.id))).map((p) => ({ project: renderProject(req, p) }));
    else if (subtreeAsIds) out.subtree = await resource.subtreeAsIds(ref.id);
  };

  const list = async (req: Request, res: Response) => {
    const scoped = await resolveCaller(req, providers);
    const caller = await authorize(req, providers, 'identity:list_projects', scoped.domainId ? { domain_id: scoped.domainId } : undefined);
    await lists.send(req, res, caller.domainId ?? '', async () => {
      const isDomain = queryValue(req, 'is_domain');
      // As Keystone: without ?is_domain, only projects that are not domains.
      let refs = await resource.listProjectRefs({
        isDomain: isDomain === undefined ? false : keystoneBool(isDomain),
        tags: queryValue(req, 'tags'),
        tagsAny: queryValue(req, 'tags-any'),
        notTags: queryValue(req, 'not-tags'),
        notTagsAny: queryValue(req, 'not-tags-any'),
      });
      if (caller.domainId) refs = refs.filter((r) => r.domainId === caller.domainId);
      const rendered = filterRendered(
        req,
        refs.map((r) => renderProject(req, r)),
        ['domain_id', 'name', 'parent_id'],
        ['enabled'],
      );
      return renderCollection(req, 'projects', rendered, resource.listLimit());
    });
  };

  const show = async (req: Request, res: Response) => {
    const id = pathParam(req, 'project_id');
    const caller = await authorize(req, providers, 'identity:get_project', await projectTargetFor(providers, id));
    const ref = await resource.getProjectRef(id);
    const out = renderProject(req, ref);
    await expand(req, ref, out, caller.userId);
    res.json({ project: out });
  };

  const create = async (req: Request, res: Response) => {
    const member = bodyMember(req.body, 'project');
    const caller = await authorize(req, providers, 'identity:create_project', { project: isPlainObject(member) ? member : {} });
    const body = validateBody(PROJECT_CREATE, member);
    rejectNul(body);
    const project = normalizeKeys(body);
    const isDomain = project.is_domain === true;
    let domainId = project.domain_id ?? null;
    if (!isDomain && !domainId) domainId = defaultDomainId(caller, providers.conf);
    const parentId = project.parent_id || domainId;
    let ref: ProjectRef;
    try {
      ref = await resource.createProjectRef({
        name: project.name,
        domainId,
        parentId,
        description: project.description,
        enabled: project.enabled,
        isDomain,
        tags: project.tags,
        options: project.options,
        extra: extraAttributes(project, PROJECT_ATTRIBUTES),
      });
    } catch (err) {
      // As Keystone: an unknown domain or parent is the client's error.
      if (err instanceof EntityNotFound) throw new ValidationError(err.message, false);
      throw err;
    }
    res.status(201).json({ project: renderProject(req, ref) });
  };

  const update = async (req: Request, res: Response) => {
    const id = pathParam(req, 'project_id');
    await authorize(req, providers, 'identity:update_project', await projectTargetFor(providers, id));
    const body = validateBody(PROJECT_UPDATE, bodyMember(req.body, 'project'));
    rejectNul(body);
    if (body.id !== undefined && body.id !== null && body.id !== id) throw new ValidationError('Cannot change ID', false);
    const patch: ProjectPatch = { extra: extraAttributes(body, PROJECT_ATTRIBUTES) };
    if (body.name !== undefined) patch.name = body.name;
    if ('description' in body) patch.description = body.description ?? null;
    if (body.enabled !== undefined) patch.enabled = body.enabled;
    if ('domain_id' in body) patch.domainId = body.domain_id ?? null;
    if ('parent_id' in body) patch.parentId = body.parent_id ?? null;
    if (body.is_domain !== undefined) patch.isDomain = body.is_domain;
    if (body.tags !== undefined) patch.tags = body.tags;
    if (body.options !== undefined) patch.options = body.options;
    const ref = await resource.updateProjectRef(id, patch, Object.keys(body));
    res.json({ project: renderProject(req, ref, { includeExtraDict: true }) });
  };

  const remove = async (req: Request, res: Response) => {
    const id = pathParam(req, 'project_id');
    await authorize(req, providers, 'identity:delete_project', await projectTargetFor(providers, id));
    await resource.deleteProjectRef(id);
    res.status(204).end();
  };

  routes.getAndHead('/v3/projects', list, { policy: 'identity:list_projects', rel: 'projects' });
  routes.post('/v3/projects', create, { policy: 'identity:create_project', rel: 'projects' });
  routes.getAndHead('/v3/projects/:project_id', show, { policy: 'identity:get_project', rel: 'project' });
  routes.patch('/v3/projects/:project_id', update, { policy: 'identity:update_project', rel: 'project' });
  routes.delete('/v3/projects/:project_id', remove, { policy: 'identity:delete_project', rel: 'project' });
}
