/**
 * Keystone-to-Keystone: a project-scoped token exchanged for a signed SAML
 * assertion addressed to one of our service providers (Keystone's
 * api/_shared/saml.py create_base_saml_assertion, then SAMLGenerator or
 * ECPGenerator). The checks run in Keystone's order: the service provider
 * exists (404) and is enabled (403), the token is valid (404) and
 * project-scoped (403).
 */
import { randomUUID } from 'node:crypto';
import type { ProviderApi } from '../../../common/provider-api.js';
import type { ServiceProvider } from '../../federation-manager.js';
import { ForbiddenAction } from '../../../common/errors.js';
import { securityForbidden } from '../../../auth/auth-errors.js';
import type { ValidatedToken } from '../../../token/token-model.js';
import { log } from '../../../log/logger.js';
import { nowSeconds } from '../../../common/time.js';
import { groupAttributeValue, samlResponseTree, type AssertionFrame, type AssertionSubject } from './saml-response.js';
import { ecpEnvelopeTree } from './ecp-envelope.js';
import { signAssertion } from './assertion-signer.js';
import { readSigningMaterial, SigningMaterialError } from './signing-certificate.js';
import { renderXml, UnrepresentableXmlText, type XmlTree } from './xml-tree.js';
import { NS } from './saml-names.js';
import { SamlSigningError } from './idp-errors.js';

export interface SamlAssertionRequest {
  tokenId: string;
  serviceProviderId: string;
}

export interface IssuedSamlAssertion {
  /** the signed document: a samlp:Response, or the SOAP envelope around it (ECP) */
  xml: string;
  serviceProvider: ServiceProvider;
}

const hexId = () => randomUUID().replaceAll('-', '');

/**
 * A document id: 32 hex digits as Keystone's, but always starting with a letter (a–f). IDs are xs:ID (an NCName);
 * Keystone's uuid4().hex starts with a digit 10 times in 16, which schema-validating service providers (pysaml2)
 * refuse.
 */
function documentId(): string {
  const hex = hexId();
  const first = hex.charCodeAt(0);
  return first <= 0x39 ? String.fromCharCode(0x61 + ((first - 0x30) % 6)) + hex.slice(1) : hex;
}

export class SamlAssertionIssuer {
  constructor(private readonly providers: ProviderApi) {}

  /** POST /v3/auth/OS-FEDERATION/saml2: the signed Response. */
  async response(request: SamlAssertionRequest): Promise<IssuedSamlAssertion> {
    const { subject, frame, serviceProvider } = await this.prepare(request);
    const tree = samlResponseTree(subject, frame, 'ns0');
    return { xml: this.sign(tree, { ns0: NS.protocol, ...ASSERTION_NAMESPACES }), serviceProvider };
  }

  /** POST /v3/auth/OS-FEDERATION/saml2/ecp: the signed Response in its SOAP envelope, with the RelayState header. */
  async ecp(request: SamlAssertionRequest): Promise<IssuedSamlAssertion> {
    const { subject, frame, serviceProvider } = await this.prepare(request);
    const tree = ecpEnvelopeTree(samlResponseTree(subject, frame, 'ns2'), serviceProvider.relay_state_prefix + hexId());
    const namespaces = { ns0: NS.soapEnvelope, ns1: NS.ecp, ns2: NS.protocol, ...ASSERTION_NAMESPACES };
    return { xml: this.sign(tree, namespaces), serviceProvider };
  }

  private async prepare(
    request: SamlAssertionRequest,
  ): Promise<{ subject: AssertionSubject; frame: AssertionFrame; serviceProvider: ServiceProvider }> {
    const { conf, federation_api, token_provider_api } = this.providers;
    const serviceProvider = await federation_api.getServiceProvider(request.serviceProviderId);
    if (!serviceProvider.enabled)
      throw securityForbidden(conf.DEFAULT.insecure_debug, `Service Provider ${serviceProvider.id} is disabled`);
    const token = await token_provider_api.validateToken(request.tokenId);
    if (!token.project) throw new ForbiddenAction('Use a project scoped token when attempting to create a SAML assertion');
    const issuer = conf.saml.idp_entity_id;
    if (issuer === null) throw this.signingError('[saml] idp_entity_id is not set');
    const frame: AssertionFrame = {
      issuer,
      recipient: serviceProvider.sp_url,
      now: nowSeconds(),
      expiresInSeconds: conf.saml.assertion_expiration_time,
      responseId: documentId(),
      assertionId: documentId(),
      sessionIndex: hexId(),
    };
    return { subject: await this.subjectOf(token, token.project), frame, serviceProvider };
  }

  /** The token's user (the trustor when a trust impersonates, as the token shows it), roles, project and groups. */
  private async subjectOf(token: ValidatedToken, project: NonNullable<ValidatedToken['project']>): Promise<AssertionSubject> {
    const user = token.trust?.impersonation && token.trust.trustor ? token.trust.trustor : token.user;
    const groups: string[] = [];
    for (const group of await this.providers.identity_api.listGroupsForUser(user.id)) {
      const domain = await this.providers.resource_api.getDomain(group.domainId);
      groups.push(groupAttributeValue(group.name, domain.name));
    }
    return {
      user: user.name,
      userDomainName: user.domain.name,
      roles: token.roles.map((role) => role.name),
      project: project.name,
      projectDomainName: project.domain.name,
      groups,
    };
  }

  private sign(tree: XmlTree, namespaces: Readonly<Record<string, string>>): string {
    const { certfile, keyfile } = this.providers.conf.saml;
    try {
      return signAssertion(renderXml(tree, namespaces), readSigningMaterial(certfile, keyfile));
    } catch (err) {
      if (err instanceof SigningMaterialError || err instanceof UnrepresentableXmlText) throw this.signingError(err.message);
      throw err;
    }
  }

  private signingError(reason: string): SamlSigningError {
    log.error(`Error when signing assertion, reason: ${reason}`);
    return new SamlSigningError(reason);
  }
}

const ASSERTION_NAMESPACES = { saml: NS.assertion, xmldsig: NS.xmldsig, xsi: NS.xsi } as const;
