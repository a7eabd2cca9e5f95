/**
 * Reads X-Auth-Token and X-Subject-Token once, and recognises the legacy
 * [DEFAULT] admin_token shared secret (compared in constant time). Token
 * validation itself happens where a handler asks for the caller's identity.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { KeystoneConfig } from '../../config/options.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function authContext(conf: KeystoneConfig) {
  const adminTokenDigest = conf.DEFAULT.admin_token ? digest(conf.DEFAULT.admin_token) : null;
  return (req: Request, _res: Response, next: NextFunction): void => {
    const auth = req.headers['x-auth-token'];
    const subject = req.headers['x-subject-token'];
    const ctx = req.keystone;
    if (typeof auth === 'string' && auth !== '') ctx.authToken = auth.trim();
    if (typeof subject === 'string' && subject !== '') ctx.subjectToken = subject.trim();
    if (adminTokenDigest && ctx.authToken) ctx.isAdminToken = timingSafeEqual(digest(ctx.authToken), adminTokenDigest);
    next();
  };
}
