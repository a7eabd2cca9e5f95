/**
 * Every API module registers its routes here. The public and the admin
 * service serve the same v3 API (as Keystone does since Queens); v2.0 differs
 * between them, and is served only while `[DEFAULT] enable_v2_api` is on.
 * Every route declares its policy rule(s) or that it is public
 * (src/server/route-table.ts).
 */
import type { RouteTable } from '../server/route-table.js';
import type { ProviderApi } from '../common/provider-api.js';
import type { ServiceKind } from '../server/request-context.js';
import type { BodyParser, PathBodyParsers } from '../server/pipeline/json-body.js';
import { registerAuthRoutes } from './v3/auth.js';
import { registerRevokeRoutes } from './v3/revoke.js';
import { registerDomainRoutes } from './v3/domains.js';
import { registerProjectRoutes } from './v3/projects.js';
import { registerProjectTagRoutes } from './v3/project-tags.js';
import { registerUserRoutes } from './v3/users.js';
import { registerGroupRoutes } from './v3/groups.js';
import { registerAssignmentAndCatalogRoutes } from './v3/assignment-catalog.js';
import { registerDomainConfigRoutes } from './v3/domain-config.js';
import { registerOauth1ConsumerRoutes } from './v3/oauth1-consumers.js';
import { registerOauth1DelegationRoutes } from './v3/oauth1-delegation.js';
import { registerOauth1AccessTokenRoutes } from './v3/oauth1-access-tokens.js';
import { registerTrustRoutes } from './v3/trusts.js';
import { registerApplicationCredentialRoutes } from './v3/application-credentials.js';
import { registerAccessRuleRoutes } from './v3/access-rules.js';
import { registerCredentialRoutes } from './v3/credentials.js';
import { registerEc2TokenRoutes } from './v3/ec2-tokens.js';
import { registerOauth2Routes, oauth2BodyParsers } from './v3/os-oauth2.js';
import { registerSimpleCertRoutes } from './v3/simple-cert.js';
import { registerFederationRoutes } from './v3/federation.js';
import { registerSamlIdpRoutes } from './v3/federation-saml-idp.js';
import { webSsoBodyParsers } from './v3/federation-websso.js';
import { registerV2Routes } from './v2/routes.js';
import { xmlBody } from '../server/pipeline/xml-body.js';
import { SAML_PAOS_MEDIA_TYPE } from '../federation/saml/sp/saml-sp-names.js';

type Registrar = (routes: RouteTable, providers: ProviderApi, service: ServiceKind) => void;

const registrars: Registrar[] = [
  registerAuthRoutes,
  registerRevokeRoutes,
  registerDomainRoutes,
  registerProjectRoutes,
  registerProjectTagRoutes,
  registerUserRoutes,
  registerGroupRoutes,
  registerAssignmentAndCatalogRoutes,
  registerDomainConfigRoutes,
  registerOauth1ConsumerRoutes,
  registerOauth1DelegationRoutes,
  registerOauth1AccessTokenRoutes,
  registerTrustRoutes,
  registerApplicationCredentialRoutes,
  registerAccessRuleRoutes,
  registerCredentialRoutes,
  registerEc2TokenRoutes,
  registerOauth2Routes,
  registerSimpleCertRoutes,
  registerFederationRoutes,
  registerSamlIdpRoutes,
];

export function registerApiRoutes(routes: RouteTable, providers: ProviderApi, service: ServiceKind): void {
  for (const register of registrars) register(routes, providers, service);
  if (providers.conf.DEFAULT.enable_v2_api) registerV2Routes(routes, providers, service);
}

export function extraBodyParsers(_providers: ProviderApi): Record<string, BodyParser> {
  // the v2.0 API's XML request bodies; a SAML ECP response (PAOS) posted to a protocol auth endpoint, as received
  return { 'application/xml': xmlBody, 'text/xml': xmlBody, [SAML_PAOS_MEDIA_TYPE]: (text) => text };
}

/** Parsers of the paths whose bodies are not JSON whatever their media type (by path prefix). */
export function pathBodyParsers(_providers: ProviderApi): PathBodyParsers {
  // the OAuth 2.0 token endpoint's form; the form the identity provider's page posts to SAML WebSSO's consumer
  return [...oauth2BodyParsers, ...webSsoBodyParsers];
}
