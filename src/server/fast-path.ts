/**
 * The token validation fast path: GET/HEAD /v3/auth/tokens answered ahead
 * of the express router when everything it needs is already memoized in
 * this process (src/token/token-manager.ts) and current.
 *
 * Use it where the HTTP server is created (keystone-all's workers, the test
 * server):
 *
 *     createServer(withFastPath(createApp(service, providers, db).app, service, providers))
 *
 * It decides from the raw request first (method, exact path, query, both
 * token headers (the caller's: X-Auth-Token, else a bearer token), no body,
 * not the admin_token), then checks the memo: the caller's token and the
 * subject token both memoized under the current
 * version (one coalesced read of the shared cache stamp or SQL epoch),
 * unexpired (or within ?allow_expired's window), and the policy rule
 * allowing the caller. Anything else — a miss, an error, a refusal — is
 * handed to the express app untouched, which runs the whole pipeline and
 * renders errors (so the fast path never answers an error itself).
 *
 * When it answers, it runs the same pipeline stages as the express app
 * (request_id, access_log, sizelimit, url_normalize, auth_context, and the
 * HTTP metrics) on the raw request before writing the response, so the
 * answer carries the same headers (x-openstack-request-id, Vary), the same
 * access log line and the same metrics as one from the router (the request
 * counted once, the two validations counted as the router's memo hits).
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import type { ProviderApi } from '../common/provider-api.js';
import type { ServiceKind } from './request-context.js';
import { requestId } from './pipeline/request-id.js';
import { accessLog } from './pipeline/access-log.js';
import { sizeLimit } from './pipeline/size-limit.js';
import { urlNormalize } from './pipeline/url-normalize.js';
import { adminTokenMatcher, authContext, presentedAuthToken } from './pipeline/auth-context.js';
import { httpMetrics } from '../metrics/metrics.js';
import { TokenManager } from '../token/token-manager.js';
import { policyAllowsNow } from '../api/authorize.js';
import { boolFromString, tokenTarget } from '../api/v3/auth.js';

/** How many requests this process answered on the fast path (tests, diagnostics). */
export const fastPathStats = { answered: 0 };

const PATH = '/v3/auth/tokens';
const ROUTE = '/v3/auth/tokens';

type Stage = (req: Request, res: Response, next: (err?: unknown) => void) => void;

interface FastQuery {
  includeCatalog: boolean;
  allowExpired: boolean;
}

/** The query when it is one the fast path understands exactly (nocatalog, allow_expired once); else null. */
function parseQuery(query: string): FastQuery | null {
  const out: FastQuery = { includeCatalog: true, allowExpired: false };
  if (query === '') return out;
  let seenExpired = false;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    if (name === 'nocatalog') out.includeCatalog = false;
    else if (name === 'allow_expired' && !seenExpired) {
      seenExpired = true;
      let value = eq < 0 ? '' : part.slice(eq + 1);
      try {
        value = decodeURIComponent(value.replace(/\+/g, ' '));
      } catch {
        return null;
      }
      out.allowExpired = boolFromString(value);
    } else {
      return null;
    }
  }
  return out;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' && v !== '' ? v.trim() : undefined;
}

export function withFastPath(app: RequestListener, service: ServiceKind, providers: ProviderApi): RequestListener {
  const { conf, token_provider_api: tokens } = providers;
  const stages: Stage[] = [
    httpMetrics(service),
    requestId(conf, service),
    accessLog(),
    sizeLimit(conf.oslo_middleware.max_request_body_size),
    urlNormalize(),
    authContext(conf),
  ];
  const isAdminToken = adminTokenMatcher(conf.DEFAULT.admin_token);

  /**
   * The response body when the fast path can answer (synchronously when everything is at hand,
   * which is the common case with the in-process cache); null to hand the request to express.
   */
  const decide = (
    version: string | null,
    authToken: string,
    subject: string,
    q: FastQuery,
    method: string,
  ): string | null | Promise<string | null> => {
    if (version === null) return null;
    const callerEntry = tokens.memoized(authToken, version);
    if (!callerEntry) return null;
    const subjectEntry = tokens.memoized(subject, version, q.allowExpired ? conf.token.allow_expired_window : 0);
    if (!subjectEntry) return null;
    if (callerEntry.token.appCred?.accessRules?.length || subjectEntry.token.appCred?.accessRules?.length) return null;
    const caller = TokenManager.callerOfEntry(callerEntry, conf);
    const action = method === 'HEAD' ? 'identity:check_token' : 'identity:validate_token';
    const target = tokenTarget(subjectEntry.token);
    if (!policyAllowsNow(providers, action, target, caller)) return null;
    const body = tokens.bodyOf(subjectEntry, q.includeCatalog);
    const counted = () => {
      tokens.countMemoHit(callerEntry);
      tokens.countMemoHit(subjectEntry);
    };
    if (typeof body === 'string') {
      counted();
      return body;
    }
    return body.then((text) => {
      counted();
      return text;
    });
  };

  const attempt = (authToken: string, subject: string, q: FastQuery, method: string): string | null | Promise<string | null> => {
    const known = tokens.currentVersionSync();
    if (known !== undefined) return decide(known, authToken, subject, q, method);
    return tokens.currentVersion().then((version) => decide(version, authToken, subject, q, method));
  };

  const answer = (req: IncomingMessage, res: ServerResponse, subject: string, body: string) => {
    const r = req as Request;
    const s = res as Response;
    r.originalUrl = req.url as string;
    let failed: unknown;
    for (const stage of stages) {
      stage(r, s, (err?: unknown) => {
        if (err) failed = err;
      });
      if (failed) break;
    }
    if (failed) {
      // A stage refused (it cannot for a bodiless GET, but if it ever does): let express render it.
      app(req, res);
      return;
    }
    r.keystone.routeTemplate = ROUTE;
    fastPathStats.answered++;
    res.writeHead(200, { 'X-Subject-Token': subject, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    if (req.method === 'HEAD') res.end();
    else res.end(body);
  };

  return (req, res) => {
    const method = req.method;
    const url = req.url ?? '';
    if (
      (method === 'GET' || method === 'HEAD') &&
      url.startsWith(PATH) &&
      (url.length === PATH.length || url.charCodeAt(PATH.length) === 63) /* ? */ &&
      !req.headers['content-length'] &&
      !req.headers['transfer-encoding']
    ) {
      const presented = presentedAuthToken(req.headers);
      const authToken = presented?.token;
      const subject = header(req, 'x-subject-token');
      const q = parseQuery(url.length > PATH.length ? url.slice(PATH.length + 1) : '');
      if (authToken && subject && q && (presented.bearer || !isAdminToken(authToken))) {
        let outcome: string | null | Promise<string | null>;
        try {
          outcome = attempt(authToken, subject, q, method);
        } catch {
          outcome = null; // e.g. an expired memoized token: express renders the answer
        }
        if (typeof outcome === 'string') answer(req, res, subject, outcome);
        else if (outcome === null) app(req, res);
        else
          outcome.then(
            (body) => {
              if (body === null) app(req, res);
              else answer(req, res, subject, body);
            },
            () => {
              app(req, res);
            },
          );
        return;
      }
    }
    app(req, res);
  };
}
