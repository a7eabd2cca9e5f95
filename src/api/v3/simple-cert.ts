/**
 * OS-SIMPLE-CERT (Keystone's api/os_simple_cert.py): the CA and signing
 * certificates of PKI tokens, gone with PKI tokens. Both answer 410 Gone to
 * anyone (Keystone's unenforced_api), GET and HEAD; the v2.0 copies
 * (/v2.0/certificates/ca and /signing) answer the same (src/api/v2/certificates.ts).
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import { Gone } from '../../common/errors.js';

const REL = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-SIMPLE-CERT/1.0/rel/';
const PUBLIC = 'gone: answers 410 to everyone, as Keystone (no certificates since PKI tokens were removed)';

/** Keystone 22's answer to any request for a PKI certificate. */
export function certificatesGone(_req: Request, _res: Response): never {
  throw new Gone('This API is no longer available due to the removal of support for PKI tokens.');
}

export function registerSimpleCertRoutes(routes: RouteTable): void {
  routes.getAndHead('/v3/OS-SIMPLE-CERT/ca', certificatesGone, { public: PUBLIC, rel: `${REL}ca_certificate` });
  routes.getAndHead('/v3/OS-SIMPLE-CERT/certificates', certificatesGone, { public: PUBLIC, rel: `${REL}certificates` });
}
