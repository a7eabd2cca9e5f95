/** /v3/OS-OAUTH1/consumers: create, list, show, update and delete OAuth1 consumers. */
import type { Request } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import { ValidationError } from '../../common/errors.js';
import { authorize } from '../authorize.js';
import { validateBody, type BodyOf } from '../validate-body.js';
import { entityLinks, renderCollection } from '../collection.js';
import type { Consumer } from '../../oauth1/consumer-manager.js';
import { pathParam } from '../request-params.js';

const REL = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-OAUTH1/1.0/rel/';
const PARAMS = { consumer_id: 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-OAUTH1/1.0/param/consumer_id' };
const description = { type: ['string', 'null'] } as const;
const CREATE = {
  type: 'object',
  properties: { consumer: { type: 'object', properties: { description }, additionalProperties: true } },
  required: ['consumer'],
} as const;
const UPDATE = {
  type: 'object',
  properties: { consumer: { type: 'object', properties: { description }, minProperties: 1, additionalProperties: true } },
  required: ['consumer'],
} as const;

function render(req: Request, consumer: Consumer & { secret?: string }) {
  const { extra, ...rest } = consumer;
  return { ...extra, ...rest, links: entityLinks(req, `/v3/OS-OAUTH1/consumers/${consumer.id}`) };
}

function split(body: BodyOf<typeof UPDATE>['consumer']): { description?: string | null; extra: Record<string, unknown> } {
  const { description, id: _id, links: _links, secret: _secret, ...extra } = body;
  return { description, extra };
}

export function registerOauth1ConsumerRoutes(routes: RouteTable, providers: ProviderApi): void {
  const { oauth_api: consumers } = providers;
  routes.post(
    '/v3/OS-OAUTH1/consumers',
    async (req, res) => {
      await authorize(req, providers, 'identity:create_consumer');
      const body = validateBody(CREATE, req.body);
      res.status(201).json({ consumer: render(req, await consumers.create(split(body.consumer))) });
    },
    { policy: 'identity:create_consumer', rel: `${REL}consumers` },
  );
  routes.getAndHead(
    '/v3/OS-OAUTH1/consumers',
    async (req, res) => {
      await authorize(req, providers, 'identity:list_consumers');
      res.json(
        renderCollection(
          req,
          'consumers',
          (await consumers.list()).map((c) => render(req, c)),
          providers.conf.DEFAULT.list_limit,
        ),
      );
    },
    { policy: 'identity:list_consumers', rel: `${REL}consumers` },
  );
  routes.getAndHead(
    '/v3/OS-OAUTH1/consumers/:consumer_id',
    async (req, res) => {
      await authorize(req, providers, 'identity:get_consumer');
      res.json({ consumer: render(req, await consumers.get(pathParam(req, 'consumer_id'))) });
    },
    { policy: 'identity:get_consumer', rel: `${REL}consumer`, params: PARAMS },
  );
  routes.patch(
    '/v3/OS-OAUTH1/consumers/:consumer_id',
    async (req, res) => {
      await authorize(req, providers, 'identity:update_consumer');
      const body = validateBody(UPDATE, req.body);
      if ('secret' in body.consumer)
        throw new ValidationError("Invalid input for field 'consumer': the secret of a consumer cannot be changed", false);
      const id = pathParam(req, 'consumer_id');
      if (body.consumer.id !== undefined && body.consumer.id !== id) throw new ValidationError('Cannot change consumer ID', false);
      res.json({ consumer: render(req, await consumers.update(id, split(body.consumer))) });
    },
    { policy: 'identity:update_consumer', rel: `${REL}consumer`, params: PARAMS },
  );
  routes.delete(
    '/v3/OS-OAUTH1/consumers/:consumer_id',
    async (req, res) => {
      await authorize(req, providers, 'identity:delete_consumer');
      await consumers.delete(pathParam(req, 'consumer_id'));
      res.status(204).end();
    },
    { policy: 'identity:delete_consumer', rel: `${REL}consumer`, params: PARAMS },
  );
}
