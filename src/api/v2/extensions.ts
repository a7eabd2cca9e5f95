/**
 * GET /v2.0/extensions (and /{alias}): the extensions of each port, and
 * OS-KSCRUD's PATCH /v2.0/OS-KSCRUD/users/{user_id} on the public port (a
 * user changes their own password with the original; a new token comes back).
 */
import { EntityNotFound, Forbidden, ValidationError } from '../../common/errors.js';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { ServiceKind } from '../../server/request-context.js';
import { resolveCaller } from '../authorize.js';
import { defaultDomainId, getV2User } from './access.js';
import { issueGrantedToken } from '../../auth/token-grant.js';
import { ForbiddenActionError } from '../../auth/auth-errors.js';
import { isDelegatedMethod } from '../../trust/delegation.js';
import { sendV2 } from './render.js';
import { bodyObject } from './tenants.js';
import { v2AccessBody } from './tokens.js';
import { pathParam } from '../request-params.js';

/** Pike's describedby links: the v2.0 extensions' reference, or the v3 one for the extensions that are v3 APIs. */
const V2_EXT = 'https://developer.openstack.org/api-ref-identity-v2-ext.html';
const V3_EXT = 'https://developer.openstack.org/api-ref-identity-v3-ext.html';

/**
 * One extension as Keystone Pike registered it (keystone/common/extension.py), its text as Pike's
 * (the odd "12:00:0-00:00" included); keys in the order Pike's JSON had them (Python 2.7's dict order).
 */
const extension = (alias: string, name: string, description: string, updated: string, docs: string) => ({
  updated,
  name,
  links: [{ href: docs, type: 'text/html', rel: 'describedby' }],
  namespace: `https://docs.openstack.org/identity/api/ext/${alias}/v1.0`,
  alias,
  description,
});

const EC2 = extension('OS-EC2', 'OpenStack EC2 API', 'OpenStack EC2 Credentials backend.', '2013-07-07T12:00:0-00:00', V2_EXT);
const KSCRUD = extension(
  'OS-KSCRUD',
  'OpenStack Keystone User CRUD',
  'OpenStack extensions to Keystone v2.0 API enabling User Operations.',
  '2013-07-07T12:00:0-00:00',
  V2_EXT,
);
const KSADM = extension(
  'OS-KSADM',
  'OpenStack Keystone Admin',
  'OpenStack extensions to Keystone v2.0 API enabling Administrative Operations.',
  '2013-07-11T17:14:00-00:00',
  V2_EXT,
);
const S3 = extension('s3tokens', 'OpenStack S3 API', 'OpenStack S3 API.', '2013-07-07T12:00:0-00:00', V2_EXT);
const SIMPLE_CERT = extension(
  'OS-SIMPLE-CERT',
  'OpenStack Simple Certificate API',
  'OpenStack simple certificate retrieval extension',
  '2014-01-20T12:00:0-00:00',
  V2_EXT,
);
const FEDERATION = extension(
  'OS-FEDERATION',
  'OpenStack Federation APIs',
  'OpenStack Identity Providers Mechanism.',
  '2013-12-17T12:00:0-00:00',
  V3_EXT,
);
const OAUTH1 = extension(
  'OS-OAUTH1',
  'OpenStack OAUTH1 API',
  'OpenStack OAuth 1.0a Delegated Auth Mechanism.',
  '2013-07-07T12:00:0-00:00',
  V3_EXT,
);
const REVOKE = extension(
  'OS-REVOKE',
  'OpenStack Revoke API',
  'OpenStack revoked token reporting mechanism.',
  '2014-02-24T20:51:0-00:00',
  V3_EXT,
);

/**
 * What a Keystone Pike process listed on each port: every extension its modules registered (the v3 ones
 * too: OS-FEDERATION, OS-OAUTH1, OS-REVOKE, OS-SIMPLE-CERT), in Python 2.7's order of its dict of them,
 * the same whatever the order of registration.
 */
const PUBLIC = [REVOKE, FEDERATION, KSCRUD, SIMPLE_CERT, OAUTH1, EC2];
const ADMIN = [S3, REVOKE, FEDERATION, KSADM, SIMPLE_CERT, OAUTH1, EC2];

export function registerV2ExtensionRoutes(routes: RouteTable, providers: ProviderApi, service: ServiceKind): void {
  const extensions = service === 'admin' ? ADMIN : PUBLIC;
  routes.getAndHead(
    '/v2.0/extensions',
    (req, res) => {
      sendV2(req, res, 200, { extensions: { values: extensions } });
    },
    {
      public: 'extension discovery',
    },
  );
  routes.getAndHead(
    '/v2.0/extensions/:alias',
    (req, res) => {
      const found = extensions.find((e) => e.alias === req.params.alias);
      if (!found) throw new EntityNotFound('extension', pathParam(req, 'alias'));
      sendV2(req, res, 200, { extension: found });
    },
    { public: 'extension discovery' },
  );
  if (service === 'admin') return;
  routes.patch(
    '/v2.0/OS-KSCRUD/users/:user_id',
    async (req, res) => {
      const caller = await resolveCaller(req, providers);
      const userId = pathParam(req, 'user_id');
      if (caller.userId !== userId) throw new Forbidden('Token belongs to another user');
      const user = bodyObject(req, 'user');
      if (typeof user.password !== 'string' || typeof user.original_password !== 'string') {
        throw new ValidationError('Expecting to find password and original_password in user.');
      }
      await getV2User(providers, userId);
      // a delegation (trust, application credential, EC2, OAuth1) cannot trade itself for a password token
      if (caller.trustId || isDelegatedMethod(providers.conf, caller))
        throw new ForbiddenActionError('change a password with a delegated token');
      await providers.identity_api.changePassword(userId, user.original_password, user.password);
      // the caller's token plus the password: issued as any other login is (src/auth/token-grant.ts)
      const token = await issueGrantedToken(
        providers,
        { userId, methods: [...new Set(['password', ...caller.methods])] },
        caller.projectId ? { projectId: caller.projectId } : { unscoped: true },
        { receipts: false, userDomainId: defaultDomainId(providers) },
      );
      sendV2(req, res, 200, await v2AccessBody(providers, token));
    },
    { public: "self-service: the caller's own token and original password (as POST /v3/users/{id}/password)" },
  );
}
