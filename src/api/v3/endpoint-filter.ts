/**
 * OS-EP-FILTER (Keystone's api/os_ep_filter.py): endpoints associated with
 * projects, endpoint groups (endpoints chosen by service_id, region_id and
 * interface) and their project associations. A project with associations
 * gets only those endpoints in its tokens' catalogs.
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import { ValidationError } from '../../common/errors.js';
import { authorize } from '../authorize.js';
import { parameterTypes, validateBody } from '../validate-body.js';
import { renderCollection } from '../collection.js';
import { filterRendered, memberOr, rejectNul } from './request-input.js';
import { endpointView, renderEndpointGroup } from './catalog-render.js';
import { renderProject } from './resource-render.js';
import { ExpectingToFind } from '../../catalog/catalog-errors.js';
import { pathParam } from '../request-params.js';

const REL = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-EP-FILTER/1.0/rel/';
const PREFIX = '/v3/OS-EP-FILTER';

const GROUP_PROPERTIES = {
  description: { type: ['string', 'null'] },
  filters: { type: 'object' },
  name: parameterTypes.name,
} as const;
const GROUP_CREATE = { type: 'object', properties: GROUP_PROPERTIES, required: ['name', 'filters'] } as const;
const GROUP_UPDATE = { type: 'object', properties: GROUP_PROPERTIES, minProperties: 1 } as const;
const VALID_FILTER_KEYS = ['service_id', 'region_id', 'interface'];

function requireValidFilter(filters: Record<string, unknown>): void {
  for (const key of Object.keys(filters)) {
    if (!VALID_FILTER_KEYS.includes(key)) throw new ExpectingToFind(VALID_FILTER_KEYS.join(' or '), 'endpoint_group');
  }
}

export function registerEndpointFilterRoutes(routes: RouteTable, providers: ProviderApi): void {
  const { catalog_api: catalog, resource_api: resource } = providers;
  const endpointsOf = (req: Request, list: Parameters<typeof endpointView>[0][]) =>
    list.map((e) => ({ ...endpointView(e), links: { self: `${req.keystone.baseUrl}/v3/endpoints/${e.id}` } }));

  // ---- endpoint groups ----------------------------------------------------------------

  const listGroups = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:list_endpoint_groups');
    const rendered = filterRendered(
      req,
      (await catalog.listEndpointGroups()).map((g) => renderEndpointGroup(req, g)),
      ['name'],
    );
    res.json(renderCollection(req, 'endpoint_groups', rendered, catalog.listLimit()));
  };

  const showGroup = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:get_endpoint_group');
    res.json({ endpoint_group: renderEndpointGroup(req, await catalog.getEndpointGroup(pathParam(req, 'endpoint_group_id'))) });
  };

  const createGroup = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:create_endpoint_group');
    const body = validateBody(GROUP_CREATE, memberOr(req.body, 'endpoint_group', {}));
    rejectNul(body);
    if (Object.keys(body.filters).length === 0) throw new ValidationError('filters field is required and cannot be empty', false);
    requireValidFilter(body.filters);
    const created = await catalog.createEndpointGroup({ name: body.name, description: body.description, filters: body.filters });
    res.status(201).json({ endpoint_group: renderEndpointGroup(req, created) });
  };

  const updateGroup = async (req: Request, res: Response) => {
    const id = pathParam(req, 'endpoint_group_id');
    await authorize(req, providers, 'identity:update_endpoint_group');
    const body = validateBody(GROUP_UPDATE, memberOr(req.body, 'endpoint_group', {}));
    rejectNul(body);
    if (body.filters !== undefined) requireValidFilter(body.filters);
    if (body.id !== undefined && body.id !== null && body.id !== id) throw new ValidationError('Cannot change ID', false);
    const patch: { name?: string; description?: string | null; filters?: Record<string, unknown> } = {};
    if (body.name !== undefined) patch.name = body.name;
    if ('description' in body) patch.description = body.description ?? null;
    if (body.filters !== undefined) patch.filters = body.filters;
    res.json({ endpoint_group: renderEndpointGroup(req, await catalog.updateEndpointGroup(id, patch)) });
  };

  const deleteGroup = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:delete_endpoint_group');
    await catalog.deleteEndpointGroup(pathParam(req, 'endpoint_group_id'));
    res.status(204).end();
  };

  const groupEndpoints = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:list_endpoints_associated_with_endpoint_group');
    const endpoints = await catalog.endpointsInGroup(pathParam(req, 'endpoint_group_id'));
    res.json(renderCollection(req, 'endpoints', endpointsOf(req, endpoints), null));
  };

  const groupProjects = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:list_projects_associated_with_endpoint_group');
    const projects = [];
    for (const id of await catalog.listProjectIdsForEndpointGroup(pathParam(req, 'endpoint_group_id'))) {
      projects.push(renderProject(req, await resource.getProjectRef(id)));
    }
    res.json(renderCollection(req, 'projects', projects, null));
  };

  const groupProject = (action: 'get' | 'add' | 'remove') => async (req: Request, res: Response) => {
    const policy = {
      get: 'identity:get_endpoint_group_in_project',
      add: 'identity:add_endpoint_group_to_project',
      remove: 'identity:remove_endpoint_group_from_project',
    }[action];
    await authorize(req, providers, policy);
    const groupId = pathParam(req, 'endpoint_group_id');
    const projectId = pathParam(req, 'project_id');
    await resource.getProjectRef(projectId);
    await catalog.getEndpointGroup(groupId);
    if (action === 'get') {
      await catalog.checkEndpointGroupInProject(groupId, projectId);
      res.json({
        project_endpoint_group: {
          endpoint_group_id: groupId,
          project_id: projectId,
          links: { self: `/OS-EP-FILTER/endpoint_groups/${groupId}/projects/${projectId}` },
        },
      });
      return;
    }
    if (action === 'add') await catalog.addEndpointGroupToProject(groupId, projectId);
    else await catalog.removeEndpointGroupFromProject(groupId, projectId);
    res.status(204).end();
  };

  // ---- projects and endpoints -----------------------------------------------------------

  const endpointProjects = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:list_projects_for_endpoint');
    const endpointId = pathParam(req, 'endpoint_id');
    await catalog.getEndpoint(endpointId);
    const projects = [];
    for (const id of await catalog.listProjectIdsForEndpoint(endpointId))
      projects.push(renderProject(req, await resource.getProjectRef(id)));
    res.json(renderCollection(req, 'projects', projects, null));
  };

  const projectEndpoint = (action: 'check' | 'add' | 'remove') => async (req: Request, res: Response) => {
    const policy = {
      check: 'identity:check_endpoint_in_project',
      add: 'identity:add_endpoint_to_project',
      remove: 'identity:remove_endpoint_from_project',
    }[action];
    await authorize(req, providers, policy);
    const endpointId = pathParam(req, 'endpoint_id');
    const projectId = pathParam(req, 'project_id');
    if (action === 'remove') {
      await catalog.removeEndpointFromProject(endpointId, projectId);
    } else {
      await catalog.getEndpoint(endpointId);
      await resource.getProjectRef(projectId);
      if (action === 'check') await catalog.checkEndpointInProject(endpointId, projectId);
      else await catalog.addEndpointToProject(endpointId, projectId);
    }
    res.status(204).end();
  };

  const projectEndpoints = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:list_endpoints_for_project');
    const projectId = pathParam(req, 'project_id');
    await resource.getProjectRef(projectId);
    res.json(renderCollection(req, 'endpoints', endpointsOf(req, await catalog.listEndpointsForProject(projectId)), null));
  };

  const projectGroups = async (req: Request, res: Response) => {
    await authorize(req, providers, 'identity:list_endpoint_groups_for_project');
    const projectId = pathParam(req, 'project_id');
    await resource.getProjectRef(projectId);
    const groups = (await catalog.listEndpointGroupsForProject(projectId)).map((g) => renderEndpointGroup(req, g));
    res.json(renderCollection(req, 'endpoint_groups', groups, null));
  };

  routes.getAndHead(`${PREFIX}/endpoint_groups`, listGroups, { policy: 'identity:list_endpoint_groups', rel: `${REL}endpoint_groups` });
  routes.post(`${PREFIX}/endpoint_groups`, createGroup, { policy: 'identity:create_endpoint_group', rel: `${REL}endpoint_groups` });
  routes.getAndHead(`${PREFIX}/endpoint_groups/:endpoint_group_id`, showGroup, {
    policy: 'identity:get_endpoint_group',
    rel: `${REL}endpoint_group`,
  });
  routes.patch(`${PREFIX}/endpoint_groups/:endpoint_group_id`, updateGroup, {
    policy: 'identity:update_endpoint_group',
    rel: `${REL}endpoint_group`,
  });
  routes.delete(`${PREFIX}/endpoint_groups/:endpoint_group_id`, deleteGroup, {
    policy: 'identity:delete_endpoint_group',
    rel: `${REL}endpoint_group`,
  });
  routes.getAndHead(`${PREFIX}/endpoint_groups/:endpoint_group_id/endpoints`, groupEndpoints, {
    policy: 'identity:list_endpoints_associated_with_endpoint_group',
    rel: `${REL}endpoints_in_endpoint_group`,
  });
  routes.getAndHead(`${PREFIX}/endpoint_groups/:endpoint_group_id/projects`, groupProjects, {
    policy: 'identity:list_projects_associated_with_endpoint_group',
    rel: `${REL}projects_associated_with_endpoint_group`,
  });
  const association = `${PREFIX}/endpoint_groups/:endpoint_group_id/projects/:project_id`;
  routes.getAndHead(association, groupProject('get'), {
    policy: 'identity:get_endpoint_group_in_project',
    rel: `${REL}endpoint_group_to_project_association`,
  });
  routes.put(association, groupProject('add'), {
    policy: 'identity:add_endpoint_group_to_project',
    rel: `${REL}endpoint_group_to_project_association`,
  });
  routes.delete(association, groupProject('remove'), {
    policy: 'identity:remove_endpoint_group_from_project',
    rel: `${REL}endpoint_group_to_project_association`,
  });
  routes.getAndHead(`${PREFIX}/endpoints/:endpoint_id/projects`, endpointProjects, {
    policy: 'identity:list_projects_for_endpoint',
    rel: `${REL}endpoint_projects`,
  });
  const projectEndpointPath = `${PREFIX}/projects/:project_id/endpoints/:endpoint_id`;
  routes.getAndHead(projectEndpointPath, projectEndpoint('check'), {
    policy: 'identity:check_endpoint_in_project',
    rel: `${REL}project_endpoint`,
  });
  routes.put(projectEndpointPath, projectEndpoint('add'), { policy: 'identity:add_endpoint_to_project', rel: `${REL}project_endpoint` });
  routes.delete(projectEndpointPath, projectEndpoint('remove'), {
    policy: 'identity:remove_endpoint_from_project',
    rel: `${REL}project_endpoint`,
  });
  routes.getAndHead(`${PREFIX}/projects/:project_id/endpoints`, projectEndpoints, {
    policy: 'identity:list_endpoints_for_project',
    rel: `${REL}project_endpoints`,
  });
  routes.getAndHead(`${PREFIX}/projects/:project_id/endpoint_groups`, projectGroups, {
    policy: 'identity:list_endpoint_groups_for_project',
    rel: `${REL}project_endpoint_groups`,
  });
}
