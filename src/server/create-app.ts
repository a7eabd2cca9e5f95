/**
 * The express app of one service (public on :5000, admin on :35357): the
 * pipeline stages in Keystone's paste order, then the routes, then errors.
 */
import express from 'express';
import type { ProviderApi } from '../common/provider-api.js';
import type { Database } from '../storage/database.js';
import type { ServiceKind } from './request-context.js';
import { RouteTable } from './route-table.js';
import { requestId } from './pipeline/request-id.js';
import { accessLog } from './pipeline/access-log.js';
import { sizeLimit } from './pipeline/size-limit.js';
import { urlNormalize } from './pipeline/url-normalize.js';
import { jsonBody, type BodyParser } from './pipeline/json-body.js';
import { authContext } from './pipeline/auth-context.js';
import { renderError } from './pipeline/render-error.js';
import { registerDiscovery } from './discovery.js';
import { registerHealthcheck } from './healthcheck.js';
import { registerApiRoutes, extraBodyParsers, pathBodyParsers } from '../api/register-routes.js';
import { httpMetrics } from '../metrics/metrics.js';
import { requestScope } from '../cache/request-scope.js';
import { expressRequestClasses, type ExpressRequestClasses } from './express-request-classes.js';

export interface KeystoneApp {
  app: express.Express;
  routes: RouteTable;
  /** the request and response classes for the app's HTTP server (createServer(requestClasses, …)) */
  requestClasses: ExpressRequestClasses;
}

/** `db` is only for /healthcheck's `SELECT 1`; the handlers reach storage through the providers. */
export function createApp(service: ServiceKind, providers: ProviderApi, db: Pick<Database, 'one'>): KeystoneApp {
  const { conf } = providers;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'extended');
  const routes = new RouteTable();
  registerDiscovery(routes, { v2: conf.DEFAULT.enable_v2_api });
  registerHealthcheck(routes, conf, db, service);
  registerApiRoutes(routes, providers, service);
  const parsers: Record<string, BodyParser> = extraBodyParsers(providers);

  // first, so that every request is timed and counted, those refused before routing included
  app.use(httpMetrics(service, (path) => routes.templateFor(path)));
  app.use(requestId(conf, service));
  app.use(accessLog());
  app.use(sizeLimit(conf.oslo_middleware.max_request_body_size));
  app.use(urlNormalize());
  app.use(jsonBody(conf.oslo_middleware.max_request_body_size, parsers, pathBodyParsers(providers)));
  app.use(authContext(conf));
  // without a cache, a request's look-ups are shared within it (src/cache/request-scope.ts)
  if (!conf.cache.enabled) app.use(requestScope());
  app.use(routes.router());
  app.use(renderError());
  return { app, routes, requestClasses: expressRequestClasses(app) };
}
