/**
 * The last stage: every error becomes Keystone's {"error": {"code", "title",
 * "message"}} body; 401 carries WWW-Authenticate; nothing internal leaks.
 */
import type { NextFunction, Request, Response } from 'express';
import { KeystoneError, OAuth2Error, ServiceUnavailable, UnexpectedError, ValidationError } from '../../common/errors.js';
import { isDatabaseUnavailable } from '../../storage/database.js';
import { log } from '../../log/logger.js';
import { toXml, wantsXml } from '../../api/v2/render.js';
import { recordAuthFailure } from '../../metrics/metrics.js';

export function toKeystoneError(err: unknown): KeystoneError {
  if (err instanceof KeystoneError) return err;
  if (isDatabaseUnavailable(err)) return new ServiceUnavailable();
  const e = err as { type?: string; status?: number; code?: string };
  // body-parser style errors from express internals
  if (e?.type === 'entity.parse.failed') return new ValidationError('Expecting to find valid JSON in request body.');
  if (e?.code === '22001') return new ValidationError('String length exceeded. The length of a string field exceeded the column size.');
  if (e?.code === '22P02' || e?.code === '22021' || e?.code === '22003')
    return new ValidationError('Invalid input: a value has the wrong form or is out of range.');
  return new UnexpectedError();
}

export function sendError(req: Request, res: Response, error: KeystoneError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.status(error.code);
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  if (error.code === 401) res.setHeader('WWW-Authenticate', `Keystone uri="${req.keystone?.baseUrl ?? ''}/v3"`);
  const body = error.body ?? { error: { code: error.code, message: error.message, title: error.title } };
  // The v2.0 API answers in XML when asked, its errors included.
  const xml = req.path.startsWith('/v2.0') && wantsXml(req);
  if (req.method === 'HEAD') {
    res.setHeader('Content-Type', xml ? 'application/xml' : 'application/json');
    res.end();
    return;
  }
  if (xml) {
    res.setHeader('Content-Type', 'application/xml');
    res.end(toXml(body as Record<string, unknown>));
    return;
  }
  res.json(body);
}

/** Where clients authenticate: a 401 there is a failed authentication. */
const OAUTH2_TOKEN_ROUTE = '/v3/OS-OAUTH2/token';
const AUTH_ROUTES = new Set(['/v3/auth/tokens', '/v2.0/tokens', OAUTH2_TOKEN_ROUTE]);

const KNOWN_METHODS = new Set([
  'password',
  'token',
  'application_credential',
  'totp',
  'external',
  'mapped',
  'oauth1',
  'oauth2_credential',
  'openid',
  'saml2',
  'kerberos',
  'x509',
]);

/**
 * The auth methods a refused authentication request named (only the ones this server knows, so
 * that a client cannot add label values), e.g. "password" or "password,totp"; "-" when none.
 */
function authMethodsOf(req: Request): string {
  const auth = (req.body as { auth?: { identity?: { methods?: unknown }; passwordCredentials?: unknown; token?: unknown } } | undefined)
    ?.auth;
  if (req.keystone?.routeTemplate === '/v2.0/tokens') return auth?.passwordCredentials ? 'password' : auth?.token ? 'token' : '-';
  // the OAuth 2.0 client credentials grant authenticates an application credential
  if (req.keystone?.routeTemplate === OAUTH2_TOKEN_ROUTE) return 'application_credential';
  const named = Array.isArray(auth?.identity?.methods) ? auth.identity.methods : [];
  const known = [...new Set(named.filter((m): m is string => typeof m === 'string' && KNOWN_METHODS.has(m)))].sort();
  return known.length ? known.join(',') : '-';
}

/**
 * AccountLocked → account_locked: the reason label of keystone_auth_failures_total (an OAuth 2.0
 * error: the failure behind it, else its kind, e.g. invalid_client).
 */
const reasonOf = (error: KeystoneError): string =>
  error instanceof OAuth2Error
    ? error.underlying
      ? reasonOf(error.underlying)
      : error.kind
    : error.constructor.name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

export function renderError() {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const error = toKeystoneError(err);
    if (error.code === 401 && req.method === 'POST' && AUTH_ROUTES.has(req.keystone?.routeTemplate ?? ''))
      recordAuthFailure(authMethodsOf(req), reasonOf(error));
    // 501 is a deliberate answer (v2.0 routes Keystone never implemented), not a failure to log.
    if (error.code >= 500 && error.code !== 501) {
      const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
      log.error(`${req.method} ${req.path} failed: ${detail}`, { requestId: req.keystone?.requestId });
    }
    sendError(req, res, error);
  };
}
