/**
 * WebSSO (Keystone's AuthFederationWebSSOResource and AuthFederationWebSSOIDPsResource), public as
 * Keystone's unenforced_api:
 *
 *  GET|POST /v3/auth/OS-FEDERATION/websso/{protocol_id}?origin=…
 *      behind a front proxy: the first identity provider (in list order) with this protocol whose
 *      remote id attribute is in the proxy's assertion names the IdP (none: 401 "Missing entity ID
 *      from environment"), then the origin is checked and the IdP found by that remote id;
 *  GET|POST /v3/auth/OS-FEDERATION/identity_providers/{idp_id}/protocols/{protocol_id}/websso?origin=…
 *      the origin checked, then the IdP's protocol authenticated;
 *
 * and the answer is [federation] sso_callback_template posting the unscoped federated token to the
 * origin. Without a front proxy's assertion, for an IdP whose protocol has a client in [openid]
 * websso_clients_file, or else that has SAML metadata with a HTTP-Redirect SingleSignOnService in [saml2]
 * idp_metadata_dir (for the first form: the only IdP of the protocol that has either), the browser is sent
 * to the IdP instead (src/federation/oidc/websso-code-flow.ts, src/federation/saml/sp) and comes back to
 *
 *  GET|POST /v3/auth/OS-FEDERATION/identity_providers/{idp_id}/protocols/{protocol_id}/websso/callback
 *      (not Keystone's: the redirect URI to register at the OpenID Provider, GET; the SAML assertion
 *      consumer service of the HTTP-POST binding, POST), where the answer is checked, the claims or
 *      attributes mapped and the token posted to the origin the sign-in began with, as above.
 */
import type { Request, Response } from 'express';
import type { RouteTable } from '../../server/route-table.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { TokenAuthentication } from '../../auth/authenticate.js';
import { NotFound } from '../../common/errors.js';
import { securityUnauthorized } from '../../auth/auth-errors.js';
import { MappedSignIn } from '../../federation/mapped-sign-in.js';
import { claimsAssertion, type AssertionRequest } from '../../federation/request-assertion.js';
import { TrustedDashboards } from '../../federation/websso-origin.js';
import { SsoCallbackTemplate } from '../../federation/sso-callback-template.js';
import { CodeFlowRefused } from '../../federation/oidc/websso-code-flow.js';
import { SamlWebSsoRefused } from '../../federation/saml/sp/saml-service-provider.js';
import { REPOSTED_FIELD, sameSiteRepostPage } from '../../federation/saml/sp/same-site-repost.js';
import { webSsoCallbackPath } from '../../federation/federation-paths.js';
import { getLogger } from '../../log/logger.js';
import { formBody } from '../../server/pipeline/form-body.js';
import type { PathBodyParsers } from '../../server/pipeline/json-body.js';
import { pathParam } from '../request-params.js';
import { FEDERATION_PARAM, FEDERATION_REL } from './federation-render.js';

const log = getLogger('keystone.federation');

/** The body of SAML WebSSO's consumer (the form the identity provider's page posts), for the json_body stage. */
export const webSsoBodyParsers: PathBodyParsers = [
  [/^\/v3\/auth\/OS-FEDERATION\/identity_providers\/[^/]+\/protocols\/[^/]+\/websso\/callback$/, formBody],
];
const BROWSER_COOKIE = 'keystone_websso';
const COOKIE_PATH = '/v3/auth/OS-FEDERATION/';
const PUBLIC =
  'WebSSO: the identity provider (through a front proxy, the OpenID Connect code flow or a signed SAML Response) is the proof, the origin a trusted dashboard';

const params = (...names: string[]) => Object.fromEntries(names.map((n) => [n, FEDERATION_PARAM + n]));

function rawQuery(req: Request): string {
  const at = req.originalUrl.indexOf('?');
  return at < 0 ? '' : req.originalUrl.slice(at + 1);
}

function assertionRequest(req: Request): AssertionRequest {
  return { headers: req.headers, rawHeaders: req.rawHeaders, remoteAddress: req.socket.remoteAddress };
}

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

const formOf = (req: Request): Readonly<Record<string, string>> =>
  req.body && typeof req.body === 'object' ? (req.body as Record<string, string>) : {};

/** The native sign-in WebSSO runs for an identity provider's protocol, if any: OpenID Connect's code flow, else SAML's browser profile. */
type NativeSignIn = 'openid-code-flow' | 'saml-browser' | null;

export function registerWebSsoRoutes(routes: RouteTable, providers: ProviderApi, authentication: TokenAuthentication): void {
  const { conf } = providers;
  const dashboards = new TrustedDashboards(conf.federation.trusted_dashboard, conf.DEFAULT.insecure_debug);
  const template = new SsoCallbackTemplate(conf.federation.sso_callback_template);
  const signIn = new MappedSignIn(providers);

  const federatedToken = (
    req: Request,
    idpId: string,
    protocolId: string,
    assertion?: Parameters<TokenAuthentication['authenticate']>[3],
  ) =>
    authentication.authenticate(
      req,
      { auth: { identity: { methods: [protocolId], [protocolId]: { identity_provider: idpId, protocol: protocolId } } } },
      { receipts: true },
      assertion,
    );

  const sendHtml = (res: Response, page: string) => {
    res.status(200);
    // Keystone's exact header (the page is UTF-8; Keystone sets the type without the charset)
    res.setHeader('Content-Type', 'text/html');
    res.setHeader('Content-Length', Buffer.byteLength(page));
    res.end(page);
  };
  const sendPage = async (res: Response, host: string, tokenId: string) => {
    sendHtml(res, await template.render(host, tokenId));
  };

  const nativeSignIn = (idpId: string, protocolId: string): NativeSignIn =>
    providers.websso_api.runsFor(idpId, protocolId) ? 'openid-code-flow' : providers.saml_sp_api.runsWebSso(idpId) ? 'saml-browser' : null;

  /** The protocol of the IdP, or null when it has none of that name. */
  const protocolOf = async (idpId: string, protocolId: string) => {
    try {
      return await providers.federation_api.getProtocol(idpId, protocolId);
    } catch (err) {
      if (err instanceof NotFound) return null;
      throw err;
    }
  };

  /** Whether a front proxy's assertion names this IdP's protocol (or, with no remote id attribute set, is there at all). */
  const proxyAsserts = async (req: Request, idpId: string, protocolId: string): Promise<boolean> => {
    const assertion = authentication.assertions.trustedProxyAssertion(assertionRequest(req));
    if (!assertion) return false;
    const protocol = await protocolOf(idpId, protocolId);
    const attribute = protocol ? signIn.remoteIdAttribute(protocol) : null;
    return attribute === null || assertion[attribute] !== undefined;
  };

  /** The browser sent to the identity provider, bound to it by the cookie. */
  const beginNativeSignIn = async (req: Request, res: Response, kind: NativeSignIn, idpId: string, protocolId: string, origin: string) => {
    const idp = await signIn.enabledIdentityProvider(idpId);
    await providers.federation_api.getProtocol(idpId, protocolId);
    const browserBinding = cookie(req, BROWSER_COOKIE);
    let started;
    try {
      started =
        kind === 'openid-code-flow'
          ? await providers.websso_api.begin({
              idp,
              protocolId,
              origin,
              redirectUri: `${req.keystone.baseUrl}${webSsoCallbackPath(idpId, protocolId)}`,
              browserBinding,
            })
          : await providers.saml_sp_api.beginWebSso({ baseUrl: req.keystone.baseUrl, idpId, protocolId, origin, browserBinding });
    } catch (err) {
      if (!(err instanceof CodeFlowRefused || err instanceof SamlWebSsoRefused)) throw err;
      log.error(`WebSSO for ${idpId}/${protocolId} cannot begin: ${err.message}`);
      throw securityUnauthorized(conf.DEFAULT.insecure_debug, err.message);
    }
    const secure = req.keystone.baseUrl.startsWith('https:') ? '; Secure' : '';
    res.setHeader('Set-Cookie', `${BROWSER_COOKIE}=${started.browserBinding}; Path=${COOKIE_PATH}; HttpOnly; SameSite=Lax${secure}`);
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, started.location);
  };

  const perProtocol = async (req: Request, res: Response) => {
    const protocolId = pathParam(req, 'protocol_id');
    const environment = authentication.assertions.trustedProxyAssertion(assertionRequest(req)) ?? {};
    let remoteId: string | undefined;
    const nativeIdps: Array<{ idpId: string; kind: NativeSignIn }> = [];
    for (const idp of await providers.federation_api.listIdentityProviders()) {
      const protocol = await protocolOf(idp.id, protocolId);
      if (!protocol) continue;
      const attribute = signIn.remoteIdAttribute(protocol);
      remoteId = attribute ? environment[attribute] : undefined;
      if (remoteId) break;
      const kind = nativeSignIn(idp.id, protocolId);
      if (kind) nativeIdps.push({ idpId: idp.id, kind });
    }
    if (!remoteId) {
      if (nativeIdps.length === 1) {
        await beginNativeSignIn(req, res, nativeIdps[0].kind, nativeIdps[0].idpId, protocolId, dashboards.originOf(rawQuery(req)));
        return;
      }
      // Keystone logs this at ERROR; any client can cause it, so it is a warning here (ERROR means a 5xx)
      log.warn('Missing entity ID from environment');
      throw securityUnauthorized(conf.DEFAULT.insecure_debug, 'Missing entity ID from environment');
    }
    const host = dashboards.originOf(rawQuery(req));
    const idp = await providers.federation_api.findIdentityProviderByRemoteId(remoteId);
    if (!idp) throw new NotFound(`Could not find Identity Provider: ${remoteId}.`);
    await sendPage(res, host, (await federatedToken(req, idp.id, protocolId)).id);
  };

  const perIdp = async (req: Request, res: Response) => {
    const idpId = pathParam(req, 'idp_id');
    const protocolId = pathParam(req, 'protocol_id');
    const host = dashboards.originOf(rawQuery(req));
    const bearer = /^Bearer\s/i.test(req.headers.authorization ?? '');
    const kind = bearer ? null : nativeSignIn(idpId, protocolId);
    if (kind && !(await proxyAsserts(req, idpId, protocolId))) {
      await beginNativeSignIn(req, res, kind, idpId, protocolId, host);
      return;
    }
    await sendPage(res, host, (await federatedToken(req, idpId, protocolId)).id);
  };

  const callback = async (req: Request, res: Response) => {
    const idpId = pathParam(req, 'idp_id');
    const protocolId = pathParam(req, 'protocol_id');
    const query = new URLSearchParams(rawQuery(req));
    const idp = await signIn.enabledIdentityProvider(idpId);
    let signedIn;
    try {
      signedIn = await providers.websso_api.finish({
        idp,
        protocolId,
        state: query.get('state'),
        code: query.get('code'),
        error: query.get('error'),
        browserBinding: cookie(req, BROWSER_COOKIE),
      });
    } catch (err) {
      if (!(err instanceof CodeFlowRefused)) throw err;
      log.warn(`WebSSO sign-in at ${idpId}/${protocolId} refused: ${err.message}`);
      throw securityUnauthorized(conf.DEFAULT.insecure_debug, err.message);
    }
    const host = dashboards.check(signedIn.origin);
    const assertion = { assertion: claimsAssertion(signedIn.claims, conf.openid.claim_prefix), issuerChecked: true };
    const token = await federatedToken(req, idpId, protocolId, assertion);
    res.setHeader('Cache-Control', 'no-store');
    await sendPage(res, host, token.id);
  };

  /** SAML's assertion consumer service (HTTP-POST binding): the IdP's Response, brought by the browser with its RelayState. */
  const samlCallback = async (req: Request, res: Response) => {
    const idpId = pathParam(req, 'idp_id');
    const protocolId = pathParam(req, 'protocol_id');
    const form = formOf(req);
    const browserBinding = cookie(req, BROWSER_COOKIE);
    res.setHeader('Cache-Control', 'no-store');
    if (browserBinding === undefined && form[REPOSTED_FIELD] === undefined) {
      const action = `${req.keystone.baseUrl}${webSsoCallbackPath(idpId, protocolId)}`;
      sendHtml(res, sameSiteRepostPage(action, { SAMLResponse: form.SAMLResponse ?? '', RelayState: form.RelayState ?? '' }));
      return;
    }
    await signIn.enabledIdentityProvider(idpId);
    let signedIn;
    try {
      signedIn = await providers.saml_sp_api.finishWebSso({
        baseUrl: req.keystone.baseUrl,
        idpId,
        protocolId,
        samlResponse: form.SAMLResponse,
        relayState: form.RelayState,
        browserBinding,
      });
    } catch (err) {
      if (!(err instanceof SamlWebSsoRefused)) throw err;
      log.warn(`WebSSO sign-in at ${idpId}/${protocolId} refused: ${err.message}`);
      throw securityUnauthorized(conf.DEFAULT.insecure_debug, err.message);
    }
    const host = dashboards.check(signedIn.origin);
    const token = await federatedToken(req, idpId, protocolId, { assertion: signedIn.assertion, issuerChecked: false });
    await sendPage(res, host, token.id);
  };

  const websso = '/v3/auth/OS-FEDERATION/websso/:protocol_id';
  const webssoOptions = { public: PUBLIC, rel: `${FEDERATION_REL}websso`, params: params('protocol_id') };
  routes.getAndHead(websso, perProtocol, webssoOptions);
  routes.post(websso, perProtocol, webssoOptions);
  const idpWebsso = '/v3/auth/OS-FEDERATION/identity_providers/:idp_id/protocols/:protocol_id/websso';
  const idpWebssoOptions = { public: PUBLIC, rel: `${FEDERATION_REL}identity_providers_websso`, params: params('idp_id', 'protocol_id') };
  routes.getAndHead(idpWebsso, perIdp, idpWebssoOptions);
  routes.post(idpWebsso, perIdp, idpWebssoOptions);
  routes.get(`${idpWebsso}/callback`, callback, { public: PUBLIC });
  routes.post(`${idpWebsso}/callback`, samlCallback, { public: PUBLIC });
}
