/** oslo.middleware's request_id stage: every response carries x-openstack-request-id. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { RequestContext, ServiceKind } from '../request-context.js';
import type { KeystoneConfig } from '../../config/options.js';

const GLOBAL_REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function baseUrlFor(conf: KeystoneConfig, service: ServiceKind, hostHeader: string | undefined, secure = false): string {
  const configured = service === 'admin' ? (conf.DEFAULT.admin_endpoint ?? conf.DEFAULT.public_endpoint) : conf.DEFAULT.public_endpoint;
  if (configured) return configured.replace(/\/+$/, '');
  return `${secure ? 'https' : 'http'}://${hostHeader ?? 'localhost'}`;
}

/** The response header carrying the request id, and the Vary every response carries. */
export const REQUEST_ID_HEADER = 'x-openstack-request-id';
export const VARY = 'X-Auth-Token';

/** A new request id, as oslo.middleware makes them. */
export function newRequestId(): string {
  return `req-${randomUUID()}`;
}

/** A new request's context, with its id (the request_id stage; the validation fast path makes the same). */
export function newRequestContext(conf: KeystoneConfig, service: ServiceKind, req: IncomingMessage): RequestContext {
  const inbound = req.headers['x-openstack-request-id'];
  return {
    requestId: newRequestId(),
    globalRequestId: typeof inbound === 'string' && GLOBAL_REQUEST_ID.test(inbound) ? inbound : undefined,
    service,
    isAdminToken: false,
    baseUrl: baseUrlFor(conf, service, req.headers.host),
    startedAt: process.hrtime.bigint(),
  };
}

export function requestId(conf: KeystoneConfig, service: ServiceKind) {
  return (req: Request, res: Response, next: NextFunction): void => {
    req.keystone = newRequestContext(conf, service, req);
    res.setHeader(REQUEST_ID_HEADER, req.keystone.requestId);
    res.setHeader('Vary', VARY);
    next();
  };
}
