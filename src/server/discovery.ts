/** Version discovery (GET /, /v3, /v2.0) and JSON-Home (/healthcheck: src/server/healthcheck.ts). */
import type { Request, Response } from 'express';
import type { RouteTable } from './route-table.js';

export const V3_VERSION_ID = 'v3.14';
const V3_UPDATED = '2020-04-07T00:00:00Z';
const V2_UPDATED = '2014-04-17T00:00:00Z';

export function v3VersionDocument(baseUrl: string) {
  return {
    id: V3_VERSION_ID,
    links: [{ href: `${baseUrl}/v3/`, rel: 'self' }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
    status: 'stable',
    updated: V3_UPDATED,
  };
}

export function v2VersionDocument(baseUrl: string) {
  return {
    id: 'v2.0',
    links: [
      { href: `${baseUrl}/v2.0/`, rel: 'self' },
      { href: 'https://docs.openstack.org/', rel: 'describedby', type: 'text/html' },
    ],
    'media-types': [
      { base: 'application/json', type: 'application/vnd.openstack.identity-v2.0+json' },
      { base: 'application/xml', type: 'application/vnd.openstack.identity-v2.0+xml' },
    ],
    status: 'deprecated',
    updated: V2_UPDATED,
  };
}

const wantsJsonHome = (req: Request) => (req.headers.accept ?? '').includes('application/json-home');

export function registerDiscovery(routes: RouteTable, options: { v2: boolean }): void {
  routes.getAndHead(
    '/',
    (req, res) => {
      const base = req.keystone.baseUrl;
      if (wantsJsonHome(req)) {
        res.type('application/json-home').send(JSON.stringify({ resources: jsonHomeWithPrefix(routes, '/v3') }));
        return;
      }
      const values: unknown[] = [v3VersionDocument(base)];
      if (options.v2) values.push(v2VersionDocument(base));
      res.status(300).setHeader('Location', `${base}/v3/`);
      res.json({ versions: { values } });
    },
    { public: 'version discovery and JSON-Home' },
  );
  routes.getAndHead(
    '/v3',
    (req: Request, res: Response) => {
      if (wantsJsonHome(req)) {
        res.type('application/json-home').send(JSON.stringify({ resources: routes.jsonHomeResources('/v3') }));
        return;
      }
      res.json({ version: v3VersionDocument(req.keystone.baseUrl) });
    },
    { public: 'version discovery and JSON-Home' },
  );
  if (options.v2) {
    routes.getAndHead(
      '/v2.0',
      (req, res) => {
        res.json({ version: v2VersionDocument(req.keystone.baseUrl) });
      },
      { public: 'version discovery' },
    );
  }
}

/** At the root, Keystone's JSON-Home hrefs carry the /v3 prefix. */
function jsonHomeWithPrefix(routes: RouteTable, prefix: string): Record<string, unknown> {
  const resources = routes.jsonHomeResources(prefix);
  for (const entry of Object.values(resources) as Record<string, unknown>[]) {
    if (typeof entry.href === 'string') entry.href = prefix + entry.href;
    if (typeof entry['href-template'] === 'string') entry['href-template'] = prefix + entry['href-template'];
  }
  return resources;
}
