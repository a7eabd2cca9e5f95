/**
 * /v3/OS-OAUTH2/token (Keystone's api/os_oauth2.py): the OAuth 2.0 client
 * credentials grant. POST with a form body (the json_body stage hands this
 * path's body to the form parser, src/server/pipeline/form-body.ts) and the
 * client authenticated by an application credential
 * (src/auth/oauth2/client-credentials.ts). Public as Keystone's
 * (unenforced_api): the request carries its own proof of identity. Every
 * other method answers 405 in the OAuth 2.0 error format, as Keystone's.
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import { OAuth2Error, stackOf } from '../../common/errors.js';
import { ClientCredentialsGrant, asOAuth2Error } from '../../auth/oauth2/client-credentials.js';
import { toKeystoneError } from '../../server/pipeline/render-error.js';
import { formBody } from '../../server/pipeline/form-body.js';
import type { PathBodyParsers } from '../../server/pipeline/json-body.js';
import { log } from '../../log/logger.js';

export const OAUTH2_PREFIX = '/v3/OS-OAUTH2/';
const TOKEN_PATH = `${OAUTH2_PREFIX}token`;
const REL = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-OAUTH2/1.0/rel/token';

/** The body parser of this API's paths (its form), for the json_body stage. */
export const oauth2BodyParsers: PathBodyParsers = [[/^\/v3\/OS-OAUTH2\//, formBody]];

const formOf = (req: Request): Readonly<Record<string, string>> =>
  req.body && typeof req.body === 'object' ? (req.body as Record<string, string>) : {};

export function registerOauth2Routes(routes: RouteTable, providers: ProviderApi): void {
  const grant = new ClientCredentialsGrant(providers);

  routes.post(
    TOKEN_PATH,
    async (req, res) => {
      try {
        const { body } = await grant.issue(req, formOf(req));
        res.status(200);
        // RFC 6749 section 5.1: the answer carries a credential and must not be cached
        res.setHeader('Cache-Control', 'no-store');
        res.setHeader('Pragma', 'no-cache');
        res.json(body);
      } catch (err) {
        const error = toKeystoneError(err);
        if (error.code >= 500) log.error(`POST ${TOKEN_PATH} failed: ${stackOf(err)}`, { requestId: req.keystone.requestId });
        throw asOAuth2Error(error);
      }
    },
    { public: 'OAuth 2.0 client credentials grant: the request carries its own proof of identity (an application credential)', rel: REL },
  );

  const notAllowed = (_req: Request, _res: Response) => {
    throw new OAuth2Error(405, 'Method Not Allowed', 'other_error', 'The method is not allowed for the requested URL.');
  };
  const why = { public: 'answers 405 in the OAuth 2.0 error format, as Keystone does for the token endpoint (no operation)' };
  routes.get(TOKEN_PATH, notAllowed, why);
  routes.head(TOKEN_PATH, notAllowed, why);
  routes.put(TOKEN_PATH, notAllowed, why);
  routes.patch(TOKEN_PATH, notAllowed, why);
  routes.delete(TOKEN_PATH, notAllowed, why);
}
