/**
 * The routes of one app (public or admin), registered by the api/ modules.
 * Knowing every route lets the pipeline answer 405 with Allow, 404 for the
 * rest, and build the JSON-Home document from the same table.
 *
 * Every route declares who may call it (RouteAccess): the policy rule(s) its
 * handler authorizes with (`policy`), or that it is public and why
 * (`public`: discovery, authentication itself, self-service proved by a
 * password, any valid token as Keystone's unenforced_api). A route without a
 * declaration does not compile and is refused by add(); the declaration is
 * carried on the request (req.keystone.routeAccess) so that authorize()
 * refuses a rule the route did not declare (src/api/authorize.ts), and a
 * route with a rule whose handler answered a success without deciding any
 * is logged as an error.
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import { MethodNotAllowed, NotFound } from '../common/errors.js';
import { log } from '../log/logger.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Handler = (req: Request, res: Response) => Promise<void> | void;

/** Who may call a route: the policy rule(s) its handler authorizes with, or public (with the reason). */
export type RouteAccess = { policy: string | readonly string[]; public?: never } | { public: string; policy?: never };

export type RouteOptions = RouteAccess & {
  /** JSON-Home relation: a short name ("users" → …/3/rel/users) or a full URL */
  rel?: string;
  /** JSON-Home href-vars relations that are not the core ones (…/3/param/{name}), as an extension's ids: name → URL */
  params?: Readonly<Record<string, string>>;
  /** JSON-Home status when not stable */
  status?: 'experimental' | 'deprecated';
};

/** The access a route declared, as carried on the request: its rules, or null when public. */
export interface DeclaredAccess {
  route: string;
  rules: readonly string[] | null;
}

/** Thrown at registration when a route declares neither its policy rule(s) nor that it is public. */
export class UndeclaredRouteAccess extends Error {
  constructor(method: string, path: string) {
    super(`route ${method} ${path} declares neither its policy rule(s) nor that it is public`);
    this.name = 'UndeclaredRouteAccess';
  }
}

/** The rules of a declaration (null: public), after checking it has exactly one of the two. */
export function declaredRules(method: string, path: string, options: Partial<RouteAccess> | undefined): readonly string[] | null {
  const policy = options?.policy;
  const reason = options?.public;
  const rules = typeof policy === 'string' ? [policy] : Array.isArray(policy) ? policy : undefined;
  const hasRules = !!rules && rules.length > 0 && rules.every((r) => typeof r === 'string' && r !== '');
  const isPublic = typeof reason === 'string' && reason.trim() !== '';
  if (hasRules === isPublic) throw new UndeclaredRouteAccess(method, path);
  return hasRules ? [...(rules as string[])] : null;
}

interface Route {
  method: HttpMethod;
  path: string;
  pattern: RegExp;
  handler: Handler;
  options: RouteOptions;
  access: DeclaredAccess;
}

const REL_BASE = 'https://docs.openstack.org/api/openstack-identity/3/rel/';

function compile(path: string): RegExp {
  const source = path
    .split('/')
    .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}

export class RouteTable {
  private readonly routes: Route[] = [];

  add(method: HttpMethod, path: string, handler: Handler, options: RouteOptions): this {
    const rules = declaredRules(method, path, options);
    this.routes.push({ method, path, pattern: compile(path), handler, options, access: { route: `${method} ${path}`, rules } });
    return this;
  }
  get(path: string, handler: Handler, options: RouteOptions): this {
    return this.add('GET', path, handler, options);
  }
  head(path: string, handler: Handler, options: RouteOptions): this {
    return this.add('HEAD', path, handler, options);
  }
  /** GET and HEAD together, as Keystone serves most collections and entities */
  getAndHead(path: string, handler: Handler, options: RouteOptions): this {
    return this.add('GET', path, handler, options).add('HEAD', path, handler, options);
  }
  post(path: string, handler: Handler, options: RouteOptions): this {
    return this.add('POST', path, handler, options);
  }
  put(path: string, handler: Handler, options: RouteOptions): this {
    return this.add('PUT', path, handler, options);
  }
  patch(path: string, handler: Handler, options: RouteOptions): this {
    return this.add('PATCH', path, handler, options);
  }
  delete(path: string, handler: Handler, options: RouteOptions): this {
    return this.add('DELETE', path, handler, options);
  }

  /**
   * Every registered route (method, path template, JSON-Home relation, and its
   * declared policy rules or public reason), in registration order.
   */
  list(): Array<{ method: HttpMethod; path: string; rel?: string; policy?: readonly string[]; public?: string }> {
    return this.routes.map((r) => ({
      method: r.method,
      path: r.path,
      ...(r.options.rel ? { rel: r.options.rel } : {}),
      ...(r.access.rules ? { policy: r.access.rules } : { public: r.options.public as string }),
    }));
  }

  /** The template of the first route whose path matches (any method): the metrics label of a request refused before routing. */
  templateFor(path: string): string | undefined {
    return this.routes.find((r) => r.pattern.test(path))?.path;
  }

  allowedMethods(path: string): HttpMethod[] {
    const methods = new Set<HttpMethod>();
    for (const r of this.routes) if (r.pattern.test(path)) methods.add(r.method);
    return [...methods];
  }

  /** The express router serving every route, then 405 / 404 for the rest. */
  router(): express.Router {
    const router = express.Router({ strict: false, caseSensitive: true });
    const explicitHead = new Set(this.routes.filter((r) => r.method === 'HEAD').map((r) => r.path));
    for (const r of this.routes) {
      // express also hands HEAD to a GET route: leave it to the HEAD route of the same path when there is one (its own rule)
      const yieldsHead = r.method === 'GET' && explicitHead.has(r.path);
      const handler: RequestHandler = async (req, res, next) => {
        if (yieldsHead && req.method === 'HEAD') {
          next();
          return;
        }
        req.keystone.routeTemplate = r.path;
        req.keystone.routeAccess = r.access;
        await r.handler(req, res);
        // the other half of the declaration: a route with a rule whose handler answered without deciding one
        if (r.access.rules && req.keystone.decidedRule === undefined && res.statusCode < 400) {
          log.error(
            `${r.access.route} declares ${r.access.rules.join(', ')} but its handler answered ${res.statusCode} without deciding a rule`,
          );
        }
      };
      router[r.method.toLowerCase() as 'get'](r.path, handler);
    }
    router.use((req, _res, next) => {
      const allowed = this.allowedMethods(req.path);
      if (allowed.length === 0 || req.method === 'OPTIONS') {
        next(allowed.length === 0 ? new NotFound('The resource could not be found.') : undefined);
        return;
      }
      next(new MethodNotAllowed([...allowed, 'OPTIONS']));
    });
    return router;
  }

  /** JSON-Home resources for the routes under `prefix` (hrefs relative to it, as Keystone's). */
  jsonHomeResources(prefix: string): Record<string, unknown> {
    const resources: Record<string, unknown> = {};
    for (const r of this.routes) {
      if (!r.options.rel || !r.path.startsWith(prefix)) continue;
      const rel = r.options.rel.startsWith('http') ? r.options.rel : REL_BASE + r.options.rel;
      const relative = r.path.slice(prefix.length) || '/';
      const vars = [...relative.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]);
      const entry: Record<string, unknown> = vars.length
        ? {
            'href-template': relative.replace(/:([A-Za-z0-9_]+)/g, '{$1}'),
            'href-vars': Object.fromEntries(
              vars.map((v) => [v, r.options.params?.[v] ?? `https://docs.openstack.org/api/openstack-identity/3/param/${v}`]),
            ),
          }
        : { href: relative };
      if (r.options.status) entry.hints = { status: r.options.status };
      resources[rel] = entry;
    }
    return resources;
  }
}
