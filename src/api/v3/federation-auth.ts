/**
 * The protocol auth endpoint (Keystone's OSFederationAuthResource):
 * GET|POST /v3/OS-FEDERATION/identity_providers/{idp_id}/protocols/{protocol_id}/auth authenticates
 * with the method named after the protocol ({identity_provider, protocol}), which must be enabled in
 * [auth] methods as one of Keystone's mapped plugin names (mapped, openid, saml2), and answers the
 * unscoped federated token (201, X-Subject-Token) as POST /v3/auth/tokens does.
 *
 * For an identity provider with SAML metadata here ([saml2] idp_metadata_dir) the same URL is the SAML
 * service provider's assertion consumer service, as mod_shib serves it for Keystone: an ECP client's GET
 * (Accept: application/vnd.paos+xml and a PAOS header) gets the AuthnRequest envelope, and its POST of the
 * identity provider's Response (Content-Type application/vnd.paos+xml) the token.
 * GET /v3/OS-FEDERATION/identity_providers/{idp_id}/protocols/{protocol_id}/saml2/metadata: our SP metadata.
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { TokenAuthentication } from '../../auth/authenticate.js';
import { NotFound } from '../../common/errors.js';
import type { RequestAssertion } from '../../federation/request-assertion.js';
import { SAML_PAOS_MEDIA_TYPE } from '../../federation/saml/sp/saml-sp-names.js';
import { pathParam } from '../request-params.js';

const REL = 'https://docs.openstack.org/api/openstack-identity/3/ext/OS-FEDERATION/1.0/rel/';

function mediaType(req: Request): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/** An ECP client asking for an AuthnRequest (SAML ECP profile: PAOS advertised in Accept and the PAOS header). */
function wantsPaos(req: Request): boolean {
  return req.method === 'GET' && typeof req.headers.paos === 'string' && (req.headers.accept ?? '').includes(SAML_PAOS_MEDIA_TYPE);
}

function send(req: Request, res: Response, status: number, contentType: string, text: string): void {
  res.status(status);
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  if (req.method === 'HEAD') res.end();
  else res.end(text);
}

export function registerFederatedAuthRoutes(routes: RouteTable, providers: ProviderApi, authentication: TokenAuthentication): void {
  const samlSp = providers.saml_sp_api;
  const auth = async (req: Request, res: Response) => {
    const idpId = pathParam(req, 'idp_id');
    const protocolId = pathParam(req, 'protocol_id');
    let presented: RequestAssertion | undefined;
    if (samlSp.trustedIdp(idpId)) {
      if (wantsPaos(req)) {
        await providers.federation_api.getProtocol(idpId, protocolId);
        send(req, res, 200, SAML_PAOS_MEDIA_TYPE, await samlSp.ecpRequest(req.keystone.baseUrl, idpId, protocolId));
        return;
      }
      if (req.method === 'POST' && mediaType(req) === SAML_PAOS_MEDIA_TYPE && typeof req.body === 'string') {
        await providers.federation_api.getProtocol(idpId, protocolId);
        presented = { assertion: await samlSp.consumeEcp(req.body, req.keystone.baseUrl, idpId, protocolId), issuerChecked: false };
      }
    }
    const body = { auth: { identity: { methods: [protocolId], [protocolId]: { identity_provider: idpId, protocol: protocolId } } } };
    const token = await authentication.authenticate(req, body, { receipts: true }, presented);
    res.setHeader('X-Subject-Token', token.id);
    send(req, res, 201, 'application/json', JSON.stringify(await providers.token_provider_api.renderBody(token, true)));
  };
  const path = '/v3/OS-FEDERATION/identity_providers/:idp_id/protocols/:protocol_id/auth';
  const options = {
    public:
      'federated authentication: the assertion of a trusted front proxy, a bearer access token or a signed SAML response is the proof',
    rel: `${REL}identity_provider_protocol_auth`,
  };
  routes.getAndHead(path, auth, options);
  routes.post(path, auth, options);

  routes.getAndHead(
    '/v3/OS-FEDERATION/identity_providers/:idp_id/protocols/:protocol_id/saml2/metadata',
    async (req: Request, res: Response) => {
      const idpId = pathParam(req, 'idp_id');
      const protocolId = pathParam(req, 'protocol_id');
      if (!samlSp.trustedIdp(idpId)) throw new NotFound(`Could not find SAML metadata for identity provider: ${idpId}.`);
      await providers.federation_api.getProtocol(idpId, protocolId);
      send(req, res, 200, 'text/xml', samlSp.metadata(req.keystone.baseUrl, idpId, protocolId));
    },
    { public: "the SAML service provider's metadata, for the identity provider's operator" },
  );
}
