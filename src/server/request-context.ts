/** What the pipeline learns about a request, read once and carried to the handlers. */
import type { Request } from 'express';

export type ServiceKind = 'public' | 'admin';

export interface RequestContext {
  requestId: string;
  /** X-OpenStack-Request-ID from the caller, when it is a valid global request id */
  globalRequestId?: string;
  service: ServiceKind;
  /** X-Auth-Token, as sent (not yet validated) */
  authToken?: string;
  /** X-Subject-Token, as sent */
  subjectToken?: string;
  /** true when X-Auth-Token equals [DEFAULT] admin_token */
  isAdminToken: boolean;
  /** the base URL links are built from: [DEFAULT] public_endpoint/admin_endpoint, else the request's host */
  baseUrl: string;
  startedAt: bigint;
  /** the route template that matched, for metrics and logs */
  routeTemplate?: string;
  /** what the matched route declared: its policy rules (authorize() refuses any other), or public */
  routeAccess?: { route: string; rules: readonly string[] | null };
  /** the last policy rule a handler decided on this request (authorize(), enforcePolicy(…, req)) */
  decidedRule?: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    keystone: RequestContext;
  }
}

export function contextOf(req: Request): RequestContext {
  return req.keystone;
}
