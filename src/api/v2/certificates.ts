/**
 * /v2.0/certificates/ca and /v2.0/certificates/signing (Keystone Pike's token
 * router, on both ports): the PKI certificates, gone with PKI tokens. They
 * answer as Keystone 22's OS-SIMPLE-CERT does: 410 Gone to anyone.
 */
import type { RouteTable } from '../../server/route-table.js';
import { certificatesGone } from '../v3/simple-cert.js';

const PUBLIC = 'gone: answers 410 to everyone, as Keystone 22 answers OS-SIMPLE-CERT (no certificates since PKI tokens were removed)';

export function registerV2CertificateRoutes(routes: RouteTable): void {
  routes.getAndHead('/v2.0/certificates/ca', certificatesGone, { public: PUBLIC });
  routes.getAndHead('/v2.0/certificates/signing', certificatesGone, { public: PUBLIC });
}
