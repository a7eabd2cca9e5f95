/** /v3/projects/{project_id}/tags[/{value}] (Keystone's ProjectTagsResource and ProjectTagResource). */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import { authorize } from '../authorize.js';
import { validateBody } from '../validate-body.js';
import { selfUrl } from '../collection.js';
import { TAG_NAME, TAGS } from './resource-schemas.js';
import { bodyMember, rejectNul } from './request-input.js';
import { projectTargetFor } from './projects.js';
import { pathParam } from '../request-params.js';

export function registerProjectTagRoutes(routes: RouteTable, providers: ProviderApi): void {
  const { resource_api: resource } = providers;
  const tagsBody = (req: Request, tags: string[]) => ({ links: { self: selfUrl(req) }, tags });

  routes.getAndHead(
    '/v3/projects/:project_id/tags',
    async (req: Request, res: Response) => {
      const projectId = pathParam(req, 'project_id');
      await authorize(req, providers, 'identity:list_project_tags', await projectTargetFor(providers, projectId));
      res.json(tagsBody(req, await resource.listProjectTags(projectId)));
    },
    { policy: 'identity:list_project_tags', rel: 'project_tags' },
  );

  routes.put(
    '/v3/projects/:project_id/tags',
    async (req: Request, res: Response) => {
      const projectId = pathParam(req, 'project_id');
      await authorize(req, providers, 'identity:update_project_tags', await projectTargetFor(providers, projectId));
      const tags = validateBody(TAGS, bodyMember(req.body, 'tags'));
      rejectNul(tags);
      res.json(tagsBody(req, await resource.replaceProjectTags(projectId, tags)));
    },
    { policy: 'identity:update_project_tags', rel: 'project_tags' },
  );

  routes.delete(
    '/v3/projects/:project_id/tags',
    async (req: Request, res: Response) => {
      const projectId = pathParam(req, 'project_id');
      await authorize(req, providers, 'identity:delete_project_tags', await projectTargetFor(providers, projectId));
      await resource.replaceProjectTags(projectId, []);
      res.status(204).end();
    },
    { policy: 'identity:delete_project_tags', rel: 'project_tags' },
  );

  routes.getAndHead(
    '/v3/projects/:project_id/tags/:value',
    async (req: Request, res: Response) => {
      const projectId = pathParam(req, 'project_id');
      const value = pathParam(req, 'value');
      await authorize(req, providers, 'identity:get_project_tag', await projectTargetFor(providers, projectId));
      await resource.getProjectTag(projectId, value);
      res.status(204).end();
    },
    { policy: 'identity:get_project_tag', rel: 'project_tags' },
  );

  routes.put(
    '/v3/projects/:project_id/tags/:value',
    async (req: Request, res: Response) => {
      const projectId = pathParam(req, 'project_id');
      const value = pathParam(req, 'value');
      await authorize(req, providers, 'identity:create_project_tag', await projectTargetFor(providers, projectId));
      const tag = validateBody(TAG_NAME, value);
      rejectNul(tag);
      // The tag joins the list, which must still be valid (at most 80, no repeats).
      validateBody(TAGS, [...(await resource.listProjectTags(projectId)), tag]);
      const created = await resource.addProjectTag(projectId, tag);
      res.status(201).setHeader('Location', `${req.keystone.baseUrl}/v3/projects/${projectId}/tags/${encodeURIComponent(created)}`);
      res.end();
    },
    { policy: 'identity:create_project_tag', rel: 'project_tags' },
  );

  routes.delete(
    '/v3/projects/:project_id/tags/:value',
    async (req: Request, res: Response) => {
      const projectId = pathParam(req, 'project_id');
      const value = pathParam(req, 'value');
      await authorize(req, providers, 'identity:delete_project_tag', await projectTargetFor(providers, projectId));
      await resource.deleteProjectTag(projectId, value);
      res.status(204).end();
    },
    { policy: 'identity:delete_project_tag', rel: 'project_tags' },
  );
}
