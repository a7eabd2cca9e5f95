/**
 * The protocol auth endpoint (Keystone's OSFederationAuthResource):
 * GET|POST /v3/OS-FEDERATION/identity_providers/{idp_id}/protocols/{protocol_id}/auth authenticates
 * with the method named after the protocol ({identity_provider, protocol}), which must be enabled in
 * [auth] methods as one of Keystone's mapped plugin names (mapped, openid, saml2), and answers the
 * unscoped federated token (201, X-Subject-Token) as POST /v3/auth/tokens does.
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { TokenAuthentication } from '../../auth/authenticate.js';
import { pathParam } from '../request-params.js';

const REL = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-FEDERATION/1.0/rel/';

export function registerFederatedAuthRoutes(routes: RouteTable, providers: ProviderApi, authentication: TokenAuthentication): void {
  const auth = async (req: Request, res: Response) => {
    const idpId = pathParam(req, 'idp_id');
    const protocolId = pathParam(req, 'protocol_id');
    const body = { auth: { identity: { methods: [protocolId], [protocolId]: { identity_provider: idpId, protocol: protocolId } } } };
    const token = await authentication.authenticate(req, body, { receipts: true });
    const text = JSON.stringify(await providers.token_provider_api.renderBody(token, true));
    res.status(201);
    res.setHeader('X-Subject-Token', token.id);
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Content-Length', Buffer.byteLength(text));
    if (req.method === 'HEAD') res.end();
    else res.end(text);
  };
  const path = '/v3/OS-FEDERATION/identity_providers/:idp_id/protocols/:protocol_id/auth';
  const options = {
    public: 'federated authentication: the assertion of a trusted front proxy or a bearer access token is the proof',
    rel: `${REL}identity_provider_protocol_auth`,
  };
  routes.getAndHead(path, auth, options);
  routes.post(path, auth, options);
}
