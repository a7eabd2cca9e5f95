/**
 * The v2.0 EC2 and S3 extensions: a user's EC2 credentials
 * (/v2.0/users/{user_id}/credentials/OS-EC2, the user themself or an admin)
 * and the token requests of signed EC2 (POST /v2.0/ec2tokens, both ports) and
 * S3 (POST /v2.0/s3tokens, admin port) requests, answered with the v2 access
 * body. As on v3, the exchange needs a caller the policy allows
 * (identity:ec2tokens_validate / identity:s3tokens_validate). The look-ups and signature checks are src/credential's, shared with v3.
 */
import type { Request, Response } from 'express';
import { EntityNotFound, Forbidden, ForbiddenAction, KeystoneError, Unauthorized, ValidationError } from '../../common/errors.js';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { ServiceKind } from '../../server/request-context.js';
import type { Ec2Credential } from '../../credential/credential-manager.js';
import {
  credentialsOfBody,
  exchangeRule,
  issueEc2Token,
  verifyEc2Credentials,
  verifyS3Credentials,
  type SignedRequestVerifier,
} from '../../credential/ec2-authenticator.js';
import { assertOwnDelegation } from '../../credential/blob-delegation.js';
import type { Caller } from '../../auth/caller.js';
import { isDelegatedMethod } from '../../trust/delegation.js';
import { authorize, resolveCaller } from '../authorize.js';
import { authorizeV2Ec2, getV2User } from './access.js';
import { sendNoContent, sendV2 } from './render.js';
import { assertV2Token, v2AccessBody } from './tokens.js';
import { pathParam } from '../request-params.js';

function credentialV2(c: Ec2Credential): Record<string, unknown> {
  return { user_id: c.userId, tenant_id: c.projectId, access: c.access, secret: c.secret, trust_id: c.trustId };
}

/** The user of the path, when the caller is that user or an admin (Keystone's v2 _assert_identity). */
async function ownUser(req: Request, providers: ProviderApi): Promise<{ userId: string; caller: Caller }> {
  const caller = await resolveCaller(req, providers);
  const userId = pathParam(req, 'user_id');
  await authorizeV2Ec2(req, providers); // the v3 rule (identity:ec2_*) of this route, on the path's user or credential
  await getV2User(providers, userId);
  return { userId, caller };
}

/**
 * The delegation a new credential records: the caller's trust or
 * application credential (its own, for its own user and project:
 * blob-delegation.ts). Other delegated tokens (EC2, OAuth1) have nothing to
 * record and would widen themselves: refused, as v3 refuses them all.
 */
async function recordedDelegation(
  providers: ProviderApi,
  caller: Caller,
  userId: string,
  projectId: string,
): Promise<{ trustId: string | null; appCredId: string | null }> {
  const trustId = caller.trustId ?? null;
  const appCredId = caller.applicationCredentialId ?? null;
  if (!trustId && !appCredId && isDelegatedMethod(providers.conf, caller))
    throw new ForbiddenAction('Delegated tokens cannot access credentials directly');
  await assertOwnDelegation(providers, caller, { userId, projectId }, { trust_id: trustId, app_cred_id: appCredId });
  return { trustId, appCredId };
}

async function ownCredential(req: Request, providers: ProviderApi, userId: string): Promise<Ec2Credential> {
  const accessKey = pathParam(req, 'credential_id');
  let cred: Ec2Credential;
  try {
    cred = await providers.credential_api.getEc2(userId, accessKey);
  } catch (err) {
    // an unknown access key: Keystone's v2 answered 404 here (401 is for ec2tokens)
    if (err instanceof Unauthorized) throw new EntityNotFound('credential', accessKey);
    throw err;
  }
  if (cred.userId !== userId) throw new Forbidden('Credential belongs to another user');
  return cred;
}

function tokenRoute(providers: ProviderApi, verify: SignedRequestVerifier) {
  return async (req: Request, res: Response): Promise<void> => {
    // a service or an admin, as on v3 (Keystone's fix for CVE-2025-65073): a signed request alone buys nothing
    await authorize(req, providers, exchangeRule(verify));
    const credentials = credentialsOfBody(req.body);
    if (!credentials) throw new ValidationError('request must include a request body', false);
    const token = await issueEc2Token(providers, await verify(providers, credentials));
    try {
      assertV2Token(providers, token);
    } catch (err) {
      if (err instanceof KeystoneError && err.code < 500) throw new Unauthorized();
      throw err;
    }
    sendV2(req, res, 200, await v2AccessBody(providers, token));
  };
}

export function registerV2Ec2Routes(routes: RouteTable, providers: ProviderApi, service: ServiceKind): void {
  const base = '/v2.0/users/:user_id/credentials/OS-EC2';
  routes.getAndHead(
    base,
    async (req, res) => {
      const { userId } = await ownUser(req, providers);
      sendV2(req, res, 200, { credentials: (await providers.credential_api.listEc2(userId)).map(credentialV2) });
    },
    { policy: 'identity:ec2_list_credentials' },
  );
  routes.post(
    base,
    async (req, res) => {
      const { userId, caller } = await ownUser(req, providers);
      const body: unknown = req.body;
      const tenantId = body && typeof body === 'object' ? (body as Record<string, unknown>).tenant_id : undefined;
      if (typeof tenantId !== 'string' || tenantId === '') throw new ValidationError('Expecting to find tenant_id in request body.');
      const { trustId, appCredId } = await recordedDelegation(providers, caller, userId, tenantId);
      sendV2(req, res, 200, { credential: credentialV2(await providers.credential_api.createEc2(userId, tenantId, trustId, appCredId)) });
    },
    { policy: 'identity:ec2_create_credential' },
  );
  routes.getAndHead(
    `${base}/:credential_id`,
    async (req, res) => {
      const { userId } = await ownUser(req, providers);
      sendV2(req, res, 200, { credential: credentialV2(await ownCredential(req, providers, userId)) });
    },
    { policy: 'identity:ec2_get_credential' },
  );
  routes.delete(
    `${base}/:credential_id`,
    async (req, res) => {
      const { userId } = await ownUser(req, providers);
      const cred = await ownCredential(req, providers, userId);
      await providers.credential_api.deleteEc2(userId, cred.access);
      sendNoContent(res);
    },
    { policy: 'identity:ec2_delete_credential' },
  );
  routes.post('/v2.0/ec2tokens', tokenRoute(providers, verifyEc2Credentials), { policy: 'identity:ec2tokens_validate' });
  if (service === 'admin')
    routes.post('/v2.0/s3tokens', tokenRoute(providers, verifyS3Credentials), { policy: 'identity:s3tokens_validate' });
}
