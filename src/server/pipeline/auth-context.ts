/**
 * Reads the caller's token and X-Subject-Token once, and recognises the
 * legacy [DEFAULT] admin_token shared secret (compared in constant time).
 * The caller's token is X-Auth-Token, else an OAuth 2.0 bearer token
 * (`Authorization: Bearer …`, RFC 6750, as POST /v3/OS-OAUTH2/token hands
 * out): X-Auth-Token wins when both are sent, and only X-Auth-Token can be
 * the admin_token. Token validation itself happens where a handler asks for
 * the caller's identity.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { KeystoneConfig } from '../../config/options.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Whether a presented token is the admin_token, in time that does not depend
 * on how much of it matches: both sides are hashed to 32 bytes and compared
 * with timingSafeEqual (never `===`, which stops at the first difference).
 */
export function adminTokenMatcher(adminToken: string | null | undefined): (presented: string) => boolean {
  if (!adminToken) return () => false;
  const known = digest(adminToken);
  return (presented) => timingSafeEqual(digest(presented), known);
}

/** `Authorization: Bearer <token>` (the scheme in any case, one token68 value). */
const BEARER = /^bearer[ \t]+([^\s]+)[ \t]*$/i;

/** The bearer token of an Authorization header, if it carries one. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.authorization;
  if (typeof value !== 'string') return undefined;
  return BEARER.exec(value)?.[1];
}

/** The caller's token as presented: X-Auth-Token, else a bearer token; which of the two it was. */
export function presentedAuthToken(headers: IncomingHttpHeaders): { token: string; bearer: boolean } | undefined {
  const auth = headers['x-auth-token'];
  if (typeof auth === 'string' && auth.trim() !== '') return { token: auth.trim(), bearer: false };
  const bearer = bearerToken(headers);
  return bearer ? { token: bearer, bearer: true } : undefined;
}

export function authContext(conf: KeystoneConfig) {
  const isAdminToken = adminTokenMatcher(conf.DEFAULT.admin_token);
  return (req: Request, _res: Response, next: NextFunction): void => {
    const presented = presentedAuthToken(req.headers);
    const subject = req.headers['x-subject-token'];
    const ctx = req.keystone;
    if (presented) ctx.authToken = presented.token;
    if (typeof subject === 'string' && subject !== '') ctx.subjectToken = subject.trim();
    if (presented && !presented.bearer && isAdminToken(presented.token)) ctx.isAdminToken = true;
    next();
  };
}
