/**
 * Reads X-Auth-Token and X-Subject-Token once, and recognises the legacy
 * [DEFAULT] admin_token shared secret (compared in constant time). Token
 * validation itself happens where a handler asks for the caller's identity.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
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

export function authContext(conf: KeystoneConfig) {
  const isAdminToken = adminTokenMatcher(conf.DEFAULT.admin_token);
  return (req: Request, _res: Response, next: NextFunction): void => {
    const auth = req.headers['x-auth-token'];
    const subject = req.headers['x-subject-token'];
    const ctx = req.keystone;
    if (typeof auth === 'string' && auth !== '') ctx.authToken = auth.trim();
    if (typeof subject === 'string' && subject !== '') ctx.subjectToken = subject.trim();
    if (ctx.authToken && isAdminToken(ctx.authToken)) ctx.isAdminToken = true;
    next();
  };
}
