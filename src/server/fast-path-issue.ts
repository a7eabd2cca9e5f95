/**
 * The issue fast path: POST /v3/auth/tokens with the token method (a
 * rescope, what every service's client does to change a token's scope)
 * served ahead of the express router, which costs a routed request several
 * times the work of the token itself.
 *
 * It takes only what it can tell apart from the headers and the body
 * without authenticating: the exact path (no query, or `?nocatalog`), a JSON
 * body of a known length within the size limit, no auth receipt, a cache
 * in use (without one, express's request scope shares the request's
 * look-ups), and `"methods": ["token"]`. It then authenticates through the
 * route's own issuer (tokenIssuer: the same checks, the same minting) and
 * answers as the route does, with the request_id, access_log and metrics
 * stages' own modules. Everything else goes to the express app with the
 * body it read (src/server/handed-over.ts): a body json_body refuses, any
 * other method, and an authentication that failed, whose error the route
 * then renders through the whole pipeline without authenticating again.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Request } from 'express';
import type { ProviderApi } from '../common/provider-api.js';
import type { ServiceKind } from './request-context.js';
import { tokenIssuer } from '../api/v3/auth.js';
import { newRequestContext } from './pipeline/request-id.js';
import { isJsonMediaType, mediaTypeOf, parseJsonText } from './pipeline/json-body.js';
import { handOverBody, handOverRefusal } from './handed-over.js';

const PATH = '/v3/auth/tokens';
const PATH_NOCATALOG = '/v3/auth/tokens?nocatalog';
/** A rescope's body is a few hundred bytes; anything much larger is left to express. */
const MAX_FAST_BODY = 16 * 1024;

type FastRequest = IncomingMessage & { url: string };

/** Writes a 201 answer as the route does (request id, Vary, X-Subject-Token, JSON), then its metrics and access line. */
export type IssueAnswer = (
  req: FastRequest,
  res: ServerResponse,
  startedAt: number,
  subject: string,
  body: Buffer,
  requestId: string,
) => void;

/** Whether the parsed body asks for the token method alone, with a token id. */
function isTokenMethodOnly(body: unknown): boolean {
  const identity = (body as { auth?: { identity?: { methods?: unknown; token?: { id?: unknown } } } } | null)?.auth?.identity;
  const methods = identity?.methods;
  return Array.isArray(methods) && methods.length === 1 && methods[0] === 'token' && typeof identity?.token?.id === 'string';
}

/**
 * The issue fast path for one service: returns whether it took the request (it then answers it, or hands it to
 * `app` with its body); false leaves the request to the caller, untouched.
 */
export function issueFastPath(
  app: RequestListener,
  service: ServiceKind,
  providers: ProviderApi,
  answer: IssueAnswer,
): (req: FastRequest, res: ServerResponse, startedAt: number) => boolean {
  const { conf } = providers;
  const issue = tokenIssuer(providers);
  const maxBody = Math.min(MAX_FAST_BODY, conf.oslo_middleware.max_request_body_size);
  const enabled = conf.cache.enabled;

  const attempt = (req: FastRequest, res: ServerResponse, startedAt: number, raw: Buffer, withCatalog: boolean): void => {
    let body: unknown;
    try {
      body = parseJsonText(raw.toString('utf8'));
    } catch {
      body = undefined; // json_body renders the refusal
    }
    if (!isTokenMethodOnly(body)) {
      handOverBody(req, raw);
      app(req, res);
      return;
    }
    // what the route's request sees of the pipeline: its context (request_id) and original URL (express)
    const routed = req as FastRequest & { keystone?: unknown; originalUrl?: string };
    const context = newRequestContext(conf, service, req);
    routed.keystone = context;
    routed.originalUrl = req.url;
    issue(routed as unknown as Request, body, withCatalog)
      .then(
        ({ token, body: json }) => {
          answer(req, res, startedAt, token.id, Buffer.from(json), context.requestId);
        },
        (error: unknown) => {
          handOverRefusal(req, raw, error);
          app(req, res);
        },
      )
      // nothing a client sends may end the worker: an answer that failed half-written ends its connection
      .catch(() => res.destroy());
  };

  return (req, res, startedAt) => {
    const url = req.url;
    if (!enabled || (url !== PATH && url !== PATH_NOCATALOG)) return false;
    const headers = req.headers;
    const length = Number(headers['content-length']);
    if (
      !(length > 0 && length <= maxBody) ||
      headers['transfer-encoding'] !== undefined ||
      headers['openstack-auth-receipt'] !== undefined ||
      !isJsonMediaType(mediaTypeOf(headers['content-type']))
    )
      return false;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      attempt(req, res, startedAt, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), url === PATH);
    });
    req.on('error', () => res.destroy());
    return true;
  };
}
