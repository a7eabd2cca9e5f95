/**
 * What the OS-OAUTH1 handlers and the oauth1 auth method hand to oauth_api of
 * a signed request: method, the URL the client signed, the Authorization
 * header (Keystone's get_oauth_headers reads the oauth_* values from it).
 */
import type { Request } from 'express';
import type { HttpRequestParts } from '../../oauth1/signed-request.js';
import { oauthHeaderValues } from '../../oauth1/signed-request.js';

const header = (req: Request, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * The request as signed: Keystone checks the request's own URL (host and
 * path as sent, with the query) with the scheme of its base URL.
 */
export function signedRequestParts(req: Request): HttpRequestParts {
  const scheme = /^https:/i.test(req.keystone.baseUrl) ? 'https' : 'http';
  return {
    method: req.method,
    url: `${scheme}://${header(req, 'host') ?? 'localhost'}${req.originalUrl}`,
    authorization: header(req, 'authorization'),
    contentType: header(req, 'content-type'),
  };
}

/** The oauth_* values of the Authorization header; an empty map without one. */
export function oauthHeaders(req: Request): Map<string, string> {
  return oauthHeaderValues(header(req, 'authorization')) ?? new Map<string, string>();
}

export function requestHeader(req: Request, name: string): string | undefined {
  return header(req, name);
}
