/**
 * The token validation fast path: GET/HEAD /v3/auth/tokens answered ahead
 * of the express router when everything it needs is already memoized in
 * this process (src/token/token-manager.ts) and current; GET/HEAD
 * /v3/auth/catalog (no query) too, by the same rules: the caller's token
 * memoized under the current version, project-scoped, and
 * identity:get_auth_catalog allowing it; the body around the catalog the
 * token manager serialized under that version.
 *
 * Use it where the HTTP server is created (keystone-all's workers, the test
 * server):
 *
 *     const { app, requestClasses } = createApp(service, providers, db);
 *     createServer(requestClasses, withFastPath(app, service, providers))
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
 * When it answers, it does what the express app's stages do, through their
 * own modules (request_id: newRequestId; access_log: logAccessAnswered; the
 * HTTP metrics: answeredTimer, both at once after the answer is sent whole,
 * without a 'close' listener per request), so the answer carries
 * the same headers (x-openstack-request-id, Vary), the same access log line
 * and the same metrics as one from the router (the request counted once,
 * the two validations counted as the router's memo hits); sizelimit,
 * url_normalize and auth_context have nothing to do for a bodiless request
 * to this exact path with a query it understood and no NUL in it. It does
 * so in one pass, with the headers given to writeHead at once: this path is
 * the one every service's middleware calls, and each microsecond counts.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { ProviderApi } from '../common/provider-api.js';
import type { ServiceKind } from './request-context.js';
import { baseUrlFor, newRequestId, REQUEST_ID_HEADER, VARY } from './pipeline/request-id.js';
import { logAccessAnswered } from './pipeline/access-log.js';
import { adminTokenMatcher, presentedAuthToken } from './pipeline/auth-context.js';
import { answeredTimer, type AnsweredTimer } from '../metrics/metrics.js';
import { TokenManager } from '../token/token-manager.js';
import { policyAllowsNow } from '../api/authorize.js';
import { AUTH_CATALOG_PATH, authCatalogBody, boolFromString, tokenTarget } from '../api/v3/auth.js';
import { issueFastPath } from './fast-path-issue.js';

/** How many requests this process answered on the fast path (tests, diagnostics). */
export const fastPathStats = { answered: 0 };

const PATH = '/v3/auth/tokens';
const ROUTE = '/v3/auth/tokens';

/** url_normalize refuses a NUL in the query (400): such a request is left to it. */
const NUL = /%00|\0/i;

interface FastQuery {
  includeCatalog: boolean;
  allowExpired: boolean;
}

/** The query when it is one the fast path understands exactly (nocatalog, allow_expired once); else null. */
function parseQuery(query: string): FastQuery | null {
  const out: FastQuery = { includeCatalog: true, allowExpired: false };
  if (query === '') return out;
  if (NUL.test(query)) return null;
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
  const isAdminToken = adminTokenMatcher(conf.DEFAULT.admin_token);
  const timedTokens = answeredTimer(service, ROUTE);
  const timedCatalog = answeredTimer(service, AUTH_CATALOG_PATH);

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
  ): Buffer | null | Promise<Buffer | null> => {
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
    if (Buffer.isBuffer(body)) {
      counted();
      return body;
    }
    return body.then((bytes) => {
      counted();
      return bytes;
    });
  };

  const attempt = (authToken: string, subject: string, q: FastQuery, method: string): Buffer | null | Promise<Buffer | null> => {
    const known = tokens.currentVersionSync();
    if (known !== undefined) return decide(known, authToken, subject, q, method);
    return tokens.currentVersion().then((version) => decide(version, authToken, subject, q, method));
  };

  /**
   * The answer, with what the express app's stages do: the request id and Vary headers, then, once it is sent whole
   * (it always is before this returns), its metrics and access line; `body` may need the request's base URL.
   */
  const answer = (
    req: IncomingMessage & { url: string },
    res: ServerResponse,
    startedAt: number,
    timed: AnsweredTimer,
    subject: string | undefined,
    body: Buffer | ((baseUrl: string) => Buffer),
    status = 200,
    requestId = newRequestId(),
  ) => {
    const bytes = Buffer.isBuffer(body) ? body : body(baseUrlFor(conf, service, req.headers.host));
    const headers: Record<string, string | number> = { [REQUEST_ID_HEADER]: requestId, Vary: VARY };
    if (subject !== undefined) headers['X-Subject-Token'] = subject;
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = bytes.length;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') res.end();
    else res.end(bytes);
    fastPathStats.answered++;
    timed(req.method as string, res, startedAt);
    logAccessAnswered(req, res, bytes.length, requestId);
  };

  /** The serialized catalog of the caller when GET /v3/auth/catalog can be answered here; null to hand the request to express. */
  const decideCatalog = (version: string | null, authToken: string): string | null | Promise<string | null> => {
    if (version === null) return null;
    const callerEntry = tokens.memoized(authToken, version);
    // the caller's token validated as resolveCaller does (access rules understood): one with rules goes the long way
    if (!callerEntry || callerEntry.token.appCred?.accessRules?.length) return null;
    const caller = TokenManager.callerOfEntry(callerEntry, conf);
    // no project: express refuses with its 403
    if (!caller.projectId || !caller.userId) return null;
    if (!policyAllowsNow(providers, 'identity:get_auth_catalog', {}, caller)) return null;
    const json = tokens.catalogJsonNow(caller.userId, caller.projectId, version);
    if (json !== undefined) {
      tokens.countMemoHit(callerEntry);
      return json;
    }
    return tokens.catalogJson(caller.userId, caller.projectId).then((serialized) => {
      tokens.countMemoHit(callerEntry);
      return serialized;
    });
  };

  const attemptCatalog = (authToken: string): string | null | Promise<string | null> => {
    const known = tokens.currentVersionSync();
    if (known !== undefined) return decideCatalog(known, authToken);
    return tokens.currentVersion().then((version) => decideCatalog(version, authToken));
  };

  const catalogAnswer = (req: IncomingMessage & { url: string }, res: ServerResponse, startedAt: number, json: string) => {
    answer(req, res, startedAt, timedCatalog, undefined, (baseUrl) => Buffer.from(authCatalogBody(json, baseUrl)));
  };

  const issue = issueFastPath(app, service, providers, (req, res, startedAt, subject, body, requestId) => {
    answer(req, res, startedAt, timedTokens, subject, body, 201, requestId);
  });

  return (incoming, res) => {
    const startedAt = performance.now();
    // a request of node's HTTP server always has its url
    const req = incoming as IncomingMessage & { url: string };
    const method = req.method;
    const url = req.url;
    if (method === 'POST' && issue(req, res, startedAt)) return;
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
        let outcome: Buffer | null | Promise<Buffer | null>;
        try {
          outcome = attempt(authToken, subject, q, method);
        } catch {
          outcome = null; // e.g. an expired memoized token: express renders the answer
        }
        if (Buffer.isBuffer(outcome)) answer(req, res, startedAt, timedTokens, subject, outcome);
        else if (outcome === null) app(req, res);
        else
          outcome.then(
            (body) => {
              if (body === null) app(req, res);
              else answer(req, res, startedAt, timedTokens, subject, body);
            },
            () => {
              app(req, res);
            },
          );
        return;
      }
    }
    if (
      (method === 'GET' || method === 'HEAD') &&
      url === AUTH_CATALOG_PATH &&
      !req.headers['content-length'] &&
      !req.headers['transfer-encoding']
    ) {
      const presented = presentedAuthToken(req.headers);
      const authToken = presented?.token;
      if (authToken && (presented.bearer || !isAdminToken(authToken))) {
        let outcome: string | null | Promise<string | null>;
        try {
          outcome = attemptCatalog(authToken);
        } catch {
          outcome = null;
        }
        if (typeof outcome === 'string') catalogAnswer(req, res, startedAt, outcome);
        else if (outcome === null) app(req, res);
        else
          outcome.then(
            (json) => {
              if (json === null) app(req, res);
              else catalogAnswer(req, res, startedAt, json);
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
