/**
 * POST /v3/ec2tokens and POST /v3/s3tokens (Keystone's api/ec2tokens.py,
 * s3tokens.py, _shared/EC2_S3_Resource.py): a service (or an admin) hands
 * over a signed request's credentials; when the signature is the one the
 * credential's secret makes, a project-scoped token of the credential's
 * user is issued. ec2tokens answers 200 with X-Subject-Token and the token
 * body (catalog included); s3tokens answers 200 with the token body only.
 * GET is 405 (Allow: POST); an empty body is a 400.
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import { ValidationError } from '../../common/errors.js';
import { authorize } from '../authorize.js';
import {
  credentialsOfBody,
  issueEc2Token,
  verifyEc2Credentials,
  verifyS3Credentials,
  type Ec2Identity,
} from '../../credential/ec2-authenticator.js';

type Verifier = (providers: ProviderApi, credentials: Record<string, unknown>) => Promise<Ec2Identity>;

function tokenRoute(providers: ProviderApi, action: string, verify: Verifier, subjectHeader: boolean) {
  return async (req: Request, res: Response): Promise<void> => {
    await authorize(req, providers, action);
    const credentials = credentialsOfBody(req.body);
    if (!credentials) throw new ValidationError('request must include a request body', false);
    const token = await issueEc2Token(providers, await verify(providers, credentials));
    const body = JSON.stringify(await providers.token_provider_api.renderBody(token, true));
    res.status(200);
    if (subjectHeader) res.setHeader('X-Subject-Token', token.id);
    res.setHeader('Content-Type', 'application/json');
    res.end(body);
  };
}

export function registerEc2TokenRoutes(routes: RouteTable, providers: ProviderApi): void {
  // GET answers 405 (Allow: POST) from the route table, as Keystone's
  routes.post('/v3/ec2tokens', tokenRoute(providers, 'identity:ec2tokens_validate', verifyEc2Credentials, true), {
    policy: 'identity:ec2tokens_validate',
    rel: 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-EC2/1.0/rel/ec2tokens',
  });
  routes.post('/v3/s3tokens', tokenRoute(providers, 'identity:s3tokens_validate', verifyS3Credentials, false), {
    policy: 'identity:s3tokens_validate',
    rel: 'https://docs.openstack.org/api/openstack-identity/3/ext/s3tokens/1.0/rel/s3tokens',
  });
}
