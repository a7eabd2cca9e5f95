/**
 * OS-OAUTH1's delegation dance (api/os_oauth1.py): POST request_token (a
 * consumer's signed request with Requested-Project-Id), PUT
 * authorize/{request_token_id} (a user delegates roles; the verifier), POST
 * access_token (the request token and verifier exchanged). The token
 * answers are form-encoded, as OAuth 1.0a's.
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import { authorize } from '../authorize.js';
import { parameterTypes, validateBody } from '../validate-body.js';
import { pathParam } from '../request-params.js';
import { ExpectingToFind, securityForbidden } from '../../auth/auth-errors.js';
import { isDelegatedMethod } from '../../trust/delegation.js';
import { OAuthRequestError } from '../../oauth1/signed-request.js';
import { oauthValidationError } from '../../oauth1/oauth1-manager.js';
import { oauthHeaders, requestHeader, signedRequestParts } from './oauth1-http.js';

const REL = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-OAUTH1/1.0/rel/';
const PARAMS = { request_token_id: 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-OAUTH1/1.0/param/request_token_id' };

const AUTHORIZE_ROLES = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      id: parameterTypes.id,
      name: parameterTypes.name,
    },
    minProperties: 1,
    maxProperties: 1,
    additionalProperties: false,
  },
} as const;

/** oauthlib's refusals are Keystone's 400s. */
async function oauthStep<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof OAuthRequestError) throw oauthValidationError(err);
    throw err;
  }
}

function sendForm(res: Response, fields: Record<string, string | null>): void {
  const text = Object.entries(fields)
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  res.status(201).setHeader('Content-Type', 'application/x-www-form-urlencoded');
  res.end(text);
}

function required(value: string | undefined, attribute: string): string {
  if (!value) throw new ExpectingToFind(attribute, 'request');
  return value;
}

export function registerOauth1DelegationRoutes(routes: RouteTable, providers: ProviderApi): void {
  const { oauth_api: oauth } = providers;
  routes.post(
    '/v3/OS-OAUTH1/request_token',
    async (req: Request, res: Response) => {
      const consumerId = required(oauthHeaders(req).get('oauth_consumer_key'), 'oauth_consumer_key');
      const projectId = required(requestHeader(req, 'requested-project-id'), 'Requested-Project-Id');
      await providers.resource_api.getProject(projectId);
      await oauth.get(consumerId);
      const token = await oauthStep(() => oauth.createRequestToken(signedRequestParts(req), consumerId, projectId));
      sendForm(res, {
        oauth_token: token.id,
        oauth_token_secret: token.requestSecret,
        oauth_expires_at: providers.conf.oauth1.request_token_duration > 0 ? token.expiresAt : null,
      });
    },
    { public: 'a consumer signs it with its own key (OAuth 1.0a), as Keystone unenforced_api', rel: `${REL}request_tokens` },
  );
  routes.post(
    '/v3/OS-OAUTH1/access_token',
    async (req: Request, res: Response) => {
      const headers = oauthHeaders(req);
      const consumerId = required(headers.get('oauth_consumer_key'), 'oauth_consumer_key');
      const requestTokenId = required(headers.get('oauth_token'), 'oauth_token');
      const verifier = required(headers.get('oauth_verifier'), 'oauth_verifier');
      const token = await oauthStep(() => oauth.createAccessToken(signedRequestParts(req), consumerId, requestTokenId, verifier));
      sendForm(res, {
        oauth_token: token.id,
        oauth_token_secret: token.accessSecret,
        oauth_expires_at: providers.conf.oauth1.access_token_duration > 0 ? token.expiresAt : null,
      });
    },
    {
      public: 'signed with the consumer key and the authorized request token (OAuth 1.0a), as Keystone unenforced_api',
      rel: `${REL}access_tokens`,
    },
  );
  routes.put(
    '/v3/OS-OAUTH1/authorize/:request_token_id',
    async (req: Request, res: Response) => {
      const caller = await authorize(req, providers, 'identity:authorize_request_token');
      const body = req.body as { roles?: unknown } | undefined;
      const roles = validateBody(AUTHORIZE_ROLES, body && typeof body === 'object' && 'roles' in body ? body.roles : []);
      if (caller.trustId || isDelegatedMethod(providers.conf, caller))
        throw securityForbidden(
          providers.conf.DEFAULT.insecure_debug,
          'Cannot authorize a request token with a token issued via delegation.',
        );
      if (!caller.userId) throw securityForbidden(providers.conf.DEFAULT.insecure_debug, 'The admin_token authorizes no request token.');
      const verifier = await oauth.authorizeRequestToken(pathParam(req, 'request_token_id'), caller.userId, roles);
      res.json({ token: { oauth_verifier: verifier } });
    },
    { policy: 'identity:authorize_request_token', rel: `${REL}authorize_request_token`, params: PARAMS },
  );
}
