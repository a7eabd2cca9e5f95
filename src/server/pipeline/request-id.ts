/** oslo.middleware's request_id stage: every response carries x-openstack-request-id. */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { ServiceKind } from '../request-context.js';
import type { KeystoneConfig } from '../../config/options.js';

const GLOBAL_REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function baseUrlFor(conf: KeystoneConfig, service: ServiceKind, hostHeader: string | undefined, secure = false): string {
  const configured = service === 'admin' ? (conf.DEFAULT.admin_endpoint ?? conf.DEFAULT.public_endpoint) : conf.DEFAULT.public_endpoint;
  if (configured) return configured.replace(/\/+$/, '');
  return `${secure ? 'https' : 'http'}://${hostHeader ?? 'localhost'}`;
}

export function requestId(conf: KeystoneConfig, service: ServiceKind) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const id = `req-${randomUUID()}`;
    const inbound = req.headers['x-openstack-request-id'];
    req.keystone = {
      requestId: id,
      globalRequestId: typeof inbound === 'string' && GLOBAL_REQUEST_ID.test(inbound) ? inbound : undefined,
      service,
      isAdminToken: false,
      baseUrl: baseUrlFor(conf, service, req.headers.host),
      startedAt: process.hrtime.bigint(),
    };
    res.setHeader('x-openstack-request-id', id);
    res.setHeader('Vary', 'X-Auth-Token');
    next();
  };
}
