/**
 * This server as a SAML 2.0 service provider, in place of mod_shib: for a Keystone identity provider with
 * a metadata file ([saml2] idp_metadata_dir), its protocol auth endpoint is the assertion consumer
 * service of the ECP profile, and WebSSO's callback that of the browser profile (HTTP-POST).
 *
 * ECP: the client's GET gets the AuthnRequest envelope (remembered, for InResponseTo); its POST of the
 * identity provider's Response (PAOS) is checked (saml-response.ts), its AuthnRequest taken once (or it is
 * unsolicited, if allowed). WebSSO: the browser is sent to the IdP's HTTP-Redirect SingleSignOnService with
 * an AuthnRequest (signed when we have a key pair) and a RelayState, remembered with the dashboard and the
 * hash of the browser's binding cookie; the IdP's POST is taken by its RelayState (once, from the browser
 * that began), checked as ECP's, and must answer that very AuthnRequest.
 *
 * Either way the assertion is recorded as consumed until its NotOnOrAfter (the database: every worker of
 * every node sees it), and its attributes become the federated assertion, with Shib-Identity-Provider
 * naming the issuer as mod_shib's. An ECP failure is a bare 401 (the reason logged); a WebSSO one a
 * SamlWebSsoRefused, for the caller to log and refuse.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Unauthorized } from '../../../common/errors.js';
import type { KeystoneConfig } from '../../../config/options.js';
import { protocolAuthPath, webSsoCallbackPath } from '../../federation-paths.js';
import { browserBinding, matchesHash, secretHash } from '../../websso-browser-binding.js';
import { renderXml } from '../idp/xml-tree.js';
import { XmlRefused } from '../xml/secure-xml.js';
import { attributeIds, joinedValues, type AttributeIds } from './attribute-map.js';
import { authnRequestTree, samlInstant } from './authn-request.js';
import { ecpAuthnRequestEnvelope } from './ecp-authn-request.js';
import { IdpMetadataDirectory, type TrustedIdp } from './idp-metadata.js';
import { redirectBindingUrl } from './redirect-binding.js';
import { checkResponse, responseOfEnvelope, responseOfPost } from './saml-response.js';
import { NS, SP } from './saml-sp-names.js';
import { SpCredentialUnusable, SpSigningCredential } from './sp-signing-credential.js';
import type { SamlSpStateBackend } from './sp-state-backend.js';
import { spMetadata } from './sp-metadata.js';

/** How long an AuthnRequest of ours may be answered. */
const REQUEST_LIFETIME_MS = 10 * 60 * 1000;

export type SamlSpLog = (message: string) => void;

/** A WebSSO sign-in that cannot begin or finish (the reason: for the log, and the client under insecure_debug). */
export class SamlWebSsoRefused extends Error {}

export interface WebSsoBegin {
  baseUrl: string;
  idpId: string;
  protocolId: string;
  /** the trusted dashboard the token goes to */
  origin: string;
  /** the browser's binding cookie, if it has one */
  browserBinding: string | undefined;
}

export interface WebSsoFinish {
  baseUrl: string;
  idpId: string;
  protocolId: string;
  /** the posted form's SAMLResponse and RelayState */
  samlResponse: string | undefined;
  relayState: string | undefined;
  browserBinding: string | undefined;
}

const newRequestId = () => `_${randomBytes(20).toString('hex')}`;

export class SamlServiceProvider {
  private readonly idps: IdpMetadataDirectory;
  private readonly credential: SpSigningCredential;
  private attributeNames: AttributeIds | undefined;
  private lastPurgeMs = 0;

  constructor(
    private readonly conf: KeystoneConfig,
    private readonly state: SamlSpStateBackend,
    private readonly log: SamlSpLog = () => undefined,
  ) {
    this.idps = new IdpMetadataDirectory(conf.saml2.idp_metadata_dir);
    this.credential = new SpSigningCredential(conf.saml2.certfile, conf.saml2.keyfile);
  }

  /** The identity provider's metadata, or null when it is not authenticated here. A broken file is logged and treated as none. */
  trustedIdp(idpId: string): TrustedIdp | null {
    try {
      return this.idps.lookup(idpId);
    } catch (err) {
      this.log(`SAML metadata of identity provider ${idpId} refused: ${(err as Error).message}`);
      return null;
    }
  }

  /** Whether WebSSO runs the SAML browser profile itself for this identity provider (it has a HTTP-Redirect SingleSignOnService). */
  runsWebSso(idpId: string): boolean {
    return Boolean(this.trustedIdp(idpId)?.redirectEndpoint);
  }

  spEntityId(baseUrl: string): string {
    return this.conf.saml2.sp_entity_id ?? `${baseUrl}/shibboleth`;
  }

  consumerUrl(baseUrl: string, idpId: string, protocolId: string): string {
    return `${baseUrl}${protocolAuthPath(idpId, protocolId)}`;
  }

  webSsoConsumerUrl(baseUrl: string, idpId: string, protocolId: string): string {
    return `${baseUrl}${webSsoCallbackPath(idpId, protocolId)}`;
  }

  /** Our metadata; a key pair that cannot be read is the caller's 500 (logged by the error stage). */
  metadata(baseUrl: string, idpId: string, protocolId: string): string {
    return spMetadata({
      spEntityId: this.spEntityId(baseUrl),
      ecpConsumerUrl: this.consumerUrl(baseUrl, idpId, protocolId),
      webSsoConsumerUrl: this.webSsoConsumerUrl(baseUrl, idpId, protocolId),
      signingCertificate: this.credential.certificateBase64(),
    });
  }

  /** The PAOS answer to an ECP client: the AuthnRequest envelope, the request remembered. */
  async ecpRequest(baseUrl: string, idpId: string, protocolId: string): Promise<string> {
    const requestId = newRequestId();
    const now = Date.now();
    await this.state.rememberRequest(requestId, idpId, protocolId, now + REQUEST_LIFETIME_MS);
    return ecpAuthnRequestEnvelope({
      requestId,
      issueInstant: samlInstant(now),
      consumerUrl: this.consumerUrl(baseUrl, idpId, protocolId),
      spEntityId: this.spEntityId(baseUrl),
      relayState: `ss:mem:${randomBytes(16).toString('hex')}`,
    });
  }

  /** The federated assertion of an ECP (PAOS) POST of the identity provider's Response. */
  async consumeEcp(envelope: string, baseUrl: string, idpId: string, protocolId: string): Promise<Record<string, string>> {
    const idp = this.trustedIdp(idpId);
    if (!idp) throw new Unauthorized();
    try {
      const { xml, doc, response } = responseOfEnvelope(envelope);
      return await this.accepted(
        xml,
        doc,
        response,
        idp,
        this.consumerUrl(baseUrl, idpId, protocolId),
        baseUrl,
        async (inResponseTo, nowMs) => {
          if (inResponseTo !== null) {
            if (!(await this.state.takeRequest(inResponseTo, idpId, protocolId, nowMs)))
              throw new XmlRefused(`the Response answers ${inResponseTo}, no outstanding request of ours`);
          } else if (!this.conf.saml2.allow_unsolicited) {
            throw new XmlRefused('an unsolicited Response is not accepted ([saml2] allow_unsolicited)');
          }
        },
      );
    } catch (err) {
      if (!(err instanceof XmlRefused)) throw err;
      this.log(`SAML response for identity provider ${idpId} refused: ${err.message}`);
      throw new Unauthorized();
    }
  }

  /** Where WebSSO sends the browser: the IdP's SingleSignOnService with our AuthnRequest (HTTP-Redirect), and the browser's binding cookie. */
  async beginWebSso(input: WebSsoBegin): Promise<{ location: string; browserBinding: string }> {
    const idp = this.trustedIdp(input.idpId);
    const endpoint = idp?.redirectEndpoint;
    if (!idp || !endpoint) throw new SamlWebSsoRefused(`${input.idpId} has no SingleSignOnService for the HTTP-Redirect binding`);
    if (idp.wantsSignedRequests && !this.credential.configured)
      throw new SamlWebSsoRefused(`${input.idpId} wants signed AuthnRequests: set [saml2] certfile and keyfile`);
    const binding = browserBinding(input.browserBinding);
    const relayState = randomBytes(32).toString('base64url');
    const requestId = newRequestId();
    const now = Date.now();
    const request = renderXml(
      authnRequestTree({
        requestId,
        issueInstant: samlInstant(now),
        destination: endpoint,
        consumerUrl: this.webSsoConsumerUrl(input.baseUrl, input.idpId, input.protocolId),
        protocolBinding: SP.bindingPost,
        spEntityId: this.spEntityId(input.baseUrl),
      }),
      { samlp: NS.protocol, saml: NS.assertion },
    );
    let location;
    try {
      location = redirectBindingUrl(
        endpoint,
        request,
        relayState,
        this.credential.configured ? (octets) => this.credential.sign(octets) : null,
      );
    } catch (err) {
      if (err instanceof SpCredentialUnusable) throw new SamlWebSsoRefused(err.message);
      throw err;
    }
    await this.purgeNow(now);
    await this.state.rememberRequest(requestId, input.idpId, input.protocolId, now + REQUEST_LIFETIME_MS, {
      relayStateHash: secretHash(relayState),
      browserHash: secretHash(binding),
      origin: input.origin,
    });
    return { location, browserBinding: binding };
  }

  /** The dashboard and federated assertion of the identity provider's HTTP-POST answer to a WebSSO AuthnRequest. */
  async finishWebSso(input: WebSsoFinish): Promise<{ origin: string; assertion: Record<string, string> }> {
    const idp = this.trustedIdp(input.idpId);
    if (!idp) throw new SamlWebSsoRefused(`${input.idpId} has no SAML metadata`);
    if (!input.relayState) throw new SamlWebSsoRefused('no RelayState');
    const request = await this.state.takeWebSsoRequest(secretHash(input.relayState));
    if (!request || request.expiresAtMs <= Date.now()) throw new SamlWebSsoRefused('unknown, expired or already used RelayState');
    if (request.idpId !== input.idpId || request.protocolId !== input.protocolId)
      throw new SamlWebSsoRefused('RelayState of another identity provider or protocol');
    if (!matchesHash(request.browserHash, input.browserBinding))
      throw new SamlWebSsoRefused('the Response came back to another browser than the one that began the sign-in');
    try {
      if (!input.samlResponse) throw new XmlRefused('no SAMLResponse');
      const { xml, doc, response } = responseOfPost(input.samlResponse);
      const consumerUrl = this.webSsoConsumerUrl(input.baseUrl, input.idpId, input.protocolId);
      const assertion = await this.accepted(xml, doc, response, idp, consumerUrl, input.baseUrl, (inResponseTo) => {
        if (inResponseTo !== request.requestId)
          throw new XmlRefused(`the Response answers ${inResponseTo ?? 'no request'}, not the sign-in's ${request.requestId}`);
        return Promise.resolve();
      });
      return { origin: request.origin, assertion };
    } catch (err) {
      if (err instanceof XmlRefused) throw new SamlWebSsoRefused(err.message);
      throw err;
    }
  }

  /**
   * The one way a Response is believed, whatever brought it: checked (saml-response.ts), `answers` agreeing
   * with its InResponseTo, its assertion consumed once; then its attributes as the federated assertion.
   */
  private async accepted(
    xml: string,
    doc: Document,
    response: Element,
    idp: TrustedIdp,
    consumerUrl: string,
    baseUrl: string,
    answers: (inResponseTo: string | null, nowMs: number) => Promise<void>,
  ): Promise<Record<string, string>> {
    const nowMs = Date.now();
    const checked = checkResponse(xml, doc, response, idp, {
      consumerUrl,
      spEntityId: this.spEntityId(baseUrl),
      clockSkewSeconds: this.conf.saml2.clock_skew,
      nowMs,
    });
    await answers(checked.inResponseTo, nowMs);
    const key = createHash('sha256').update(`${checked.issuer}\0${checked.assertionId}`).digest('hex');
    if (!(await this.state.consumeAssertion(key, checked.notOnOrAfterMs)))
      throw new XmlRefused(`assertion ${checked.assertionId} replayed`);
    await this.purgeNow(nowMs);
    return this.assertionOf(checked.issuer, checked.attributes);
  }

  private assertionOf(issuer: string, attributes: ReadonlyArray<{ name: string; values: string[] }>): Record<string, string> {
    this.attributeNames ??= attributeIds(this.conf.saml2.attribute_map_file);
    const values = new Map<string, string[]>();
    for (const { name, values: list } of attributes) {
      const id = this.attributeNames(name);
      if (id !== null) values.set(id, [...(values.get(id) ?? []), ...list]);
    }
    const out: Record<string, string> = {};
    for (const [id, list] of values) out[id] = joinedValues(list);
    out['Shib-Identity-Provider'] = issuer;
    return out;
  }

  private async purgeNow(nowMs: number): Promise<void> {
    if (nowMs - this.lastPurgeMs < 60_000) return;
    this.lastPurgeMs = nowMs;
    await this.state.purge(nowMs);
  }
}
