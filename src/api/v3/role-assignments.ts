/**
 * GET /v3/role_assignments (Keystone's api/role_assignments.py): the
 * filters user.id, group.id, role.id, scope.project.id, scope.domain.id,
 * scope.system, scope.OS-INHERIT:inherited_to, and the flags effective,
 * include_names and include_subtree (which needs scope.project.id and its
 * own policy rule). Each assignment carries a link to the grant it comes
 * from (links.assignment), and in effective mode links.membership for a
 * group's member and links.prior_role for an implied role. A domain-scoped
 * caller sees the assignments on its domain and on the domain's projects.
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { NamedAssignmentRef } from '../../assignment/assignment-types.js';
import { ValidationError } from '../../common/errors.js';
import { authorize, resolveCaller } from '../authorize.js';
import { renderCollection } from '../collection.js';
import { projectTarget } from './projects.js';
import { queryFlag, queryValue } from './request-input.js';

/** Keystone's _format_entity. */
export function formatAssignment(baseUrl: string, entity: NamedAssignmentRef): Record<string, unknown> {
  const url = (path: string) => `${baseUrl}/v3${path}`;
  const formatted: Record<string, unknown> = {};
  const links: Record<string, string> = {};
  let scope: Record<string, unknown> = {};
  let link = '';
  let inherited = entity.inherited_to_projects !== undefined;
  const indirect = entity.indirect ?? {};

  if (entity.project_id !== undefined) {
    scope =
      entity.project_name !== undefined
        ? {
            project: {
              id: entity.project_id,
              name: entity.project_name,
              domain: { id: entity.project_domain_id, name: entity.project_domain_name },
            },
          }
        : { project: { id: entity.project_id } };
    if (indirect.domain_id !== undefined) {
      inherited = true;
      link = `/domains/${indirect.domain_id}`;
    } else if (indirect.project_id !== undefined) {
      inherited = true;
      link = `/projects/${indirect.project_id}`;
    } else {
      link = `/projects/${entity.project_id}`;
    }
  } else if (entity.domain_id !== undefined) {
    scope =
      entity.domain_name !== undefined
        ? { domain: { id: entity.domain_id, name: entity.domain_name } }
        : { domain: { id: entity.domain_id } };
    link = `/domains/${entity.domain_id}`;
  } else if (entity.system !== undefined) {
    link = '/system';
    scope = { system: entity.system };
  }

  if (entity.user_id !== undefined) {
    formatted.user =
      entity.user_name !== undefined
        ? { id: entity.user_id, name: entity.user_name, domain: { id: entity.user_domain_id, name: entity.user_domain_name } }
        : { id: entity.user_id };
    if (indirect.group_id !== undefined) {
      links.membership = url(`/groups/${indirect.group_id}/users/${entity.user_id}`);
      link += `/groups/${indirect.group_id}`;
    } else {
      link += `/users/${entity.user_id}`;
    }
  } else if (entity.group_id !== undefined) {
    formatted.group =
      entity.group_name !== undefined
        ? { id: entity.group_id, name: entity.group_name, domain: { id: entity.group_domain_id, name: entity.group_domain_name } }
        : { id: entity.group_id };
    link += `/groups/${entity.group_id}`;
  }

  if (entity.role_name !== undefined) {
    const role: Record<string, unknown> = { id: entity.role_id, name: entity.role_name };
    if (entity.role_domain_id !== undefined && entity.role_domain_name !== undefined)
      role.domain = { id: entity.role_domain_id, name: entity.role_domain_name };
    formatted.role = role;
  } else {
    formatted.role = { id: entity.role_id };
  }
  let priorRoleLink = '';
  if (indirect.role_id !== undefined) {
    link += `/roles/${indirect.role_id}`;
    priorRoleLink = `/prior_role/${entity.role_id}/implies/${indirect.role_id}`;
  } else {
    link += `/roles/${entity.role_id}`;
  }
  if (inherited) {
    scope['OS-INHERIT:inherited_to'] = 'projects';
    link = `/OS-INHERIT${link}/inherited_to_projects`;
  }
  links.assignment = url(link);
  if (priorRoleLink) links.prior_role = url(priorRoleLink);
  return { ...formatted, scope, links };
}

export function registerRoleAssignmentRoutes(routes: RouteTable, providers: ProviderApi): void {
  const { assignment_api: assignment, resource_api: resource } = providers;

  const nonEmpty = (req: Request, name: string) => {
    const v = queryValue(req, name);
    return v ? v : undefined;
  };

  /** Keystone's _assert_* checks of the filter combinations. */
  const assertFilters = (req: Request, effective: boolean, inherited: boolean | undefined) => {
    if (nonEmpty(req, 'scope.domain.id') && nonEmpty(req, 'scope.project.id'))
      throw new ValidationError('Specify a domain or project, not both', false);
    if (nonEmpty(req, 'scope.domain.id') && nonEmpty(req, 'scope.system'))
      throw new ValidationError('Specify system or domain, not both', false);
    if (nonEmpty(req, 'scope.project.id') && nonEmpty(req, 'scope.system'))
      throw new ValidationError('Specify system or project, not both', false);
    if (nonEmpty(req, 'user.id') && nonEmpty(req, 'group.id')) throw new ValidationError('Specify a user or group, not both', false);
    if (effective) {
      if (nonEmpty(req, 'group.id'))
        throw new ValidationError('Combining effective and group filter will always result in an empty list.', false);
      if (inherited && nonEmpty(req, 'scope.domain.id')) {
        throw new ValidationError('Combining effective, domain and inherited filters will always result in an empty list.', false);
      }
    }
  };

  const build = async (req: Request, includeSubtree: boolean) => {
    const effective = queryFlag(req, 'effective');
    const inheritedParam = queryValue(req, 'scope.OS-INHERIT:inherited_to');
    const inherited = 'scope.OS-INHERIT:inherited_to' in req.query ? inheritedParam === 'projects' : undefined;
    assertFilters(req, effective, inherited);
    const refs = await assignment.listRoleAssignments({
      roleId: nonEmpty(req, 'role.id'),
      userId: nonEmpty(req, 'user.id'),
      groupId: nonEmpty(req, 'group.id'),
      system: queryValue(req, 'scope.system') === 'all',
      domainId: nonEmpty(req, 'scope.domain.id'),
      projectId: nonEmpty(req, 'scope.project.id'),
      includeSubtree,
      inherited,
      effective,
    });
    const named: NamedAssignmentRef[] = queryFlag(req, 'include_names') ? await assignment.addNames(refs) : refs;
    return named.map((r) => formatAssignment(req.keystone.baseUrl, r));
  };

  const list = async (req: Request, res: Response) => {
    const scoped = await resolveCaller(req, providers);
    if (queryFlag(req, 'include_subtree')) {
      const projectId = queryValue(req, 'scope.project.id');
      const target: Record<string, unknown> = {};
      if (projectId) target.project = projectTarget(await resource.getProjectRef(projectId));
      await authorize(req, providers, 'identity:list_role_assignments_for_tree', target);
      if (!projectId) throw new ValidationError('scope.project.id must be specified if include_subtree is also specified', false);
      res.json(renderCollection(req, 'role_assignments', await build(req, true), null));
      return;
    }
    const caller = await authorize(req, providers, 'identity:list_role_assignments', scoped.domainId ? { domain_id: scoped.domainId } : {});
    let assignments = await build(req, false);
    if (caller.domainId) {
      const inDomain: Record<string, unknown>[] = [];
      for (const a of assignments) {
        const scope = a.scope as { domain?: { id: string }; project?: { id: string } };
        if (scope.domain?.id === caller.domainId) {
          inDomain.push(a);
        } else if (scope.project?.id) {
          const project = await resource.getProjectRef(scope.project.id);
          if (project.domainId === caller.domainId) inDomain.push(a);
        }
      }
      assignments = inDomain;
    }
    res.json(renderCollection(req, 'role_assignments', assignments, null));
  };

  routes.getAndHead('/v3/role_assignments', list, {
    policy: ['identity:list_role_assignments', 'identity:list_role_assignments_for_tree'],
    rel: 'role_assignments',
  });
}
