/** Projects and domains as Keystone's v3 API renders them. */
import type { Request } from 'express';
import type { ProjectRef } from '../../resource/resource-types.js';
import { entityLinks } from '../collection.js';

/** Keys a project carries of its own; anything else in a body is kept in `extra`. */
export const PROJECT_ATTRIBUTES = [
  'id',
  'name',
  'domain_id',
  'description',
  'enabled',
  'parent_id',
  'is_domain',
  'tags',
  'options',
  'links',
] as const;

/** Keystone's Project.to_dict: extra attributes first, then the project's own (also the policy target). */
export function projectDict(ref: ProjectRef): Record<string, unknown> {
  return {
    ...ref.extra,
    id: ref.id,
    name: ref.name,
    domain_id: ref.domainId,
    description: ref.description,
    enabled: ref.enabled,
    parent_id: ref.parentId,
    is_domain: ref.isDomain,
    tags: ref.tags,
    options: ref.options,
  };
}

/** Project.to_dict with links. */
export function renderProject(req: Request, ref: ProjectRef, options: { includeExtraDict?: boolean } = {}): Record<string, unknown> {
  const out = projectDict(ref);
  if (options.includeExtraDict) out.extra = ref.extra;
  out.links = entityLinks(req, `/v3/projects/${ref.id}`);
  return out;
}

/** Keystone's _get_domain_from_project: the project without parent_id, domain_id and is_domain. */
export function renderDomain(req: Request, ref: ProjectRef): Record<string, unknown> {
  return {
    ...ref.extra,
    id: ref.id,
    name: ref.name,
    description: ref.description,
    enabled: ref.enabled,
    tags: ref.tags,
    options: ref.options,
    links: entityLinks(req, `/v3/domains/${ref.id}`),
  };
}
