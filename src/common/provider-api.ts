/**
 * The provider registry, as Keystone's common/provider_api.py: every
 * manager under its Keystone name, plus what handlers need besides (the
 * configuration and the oslo.policy enforcer). Types only: the managers are
 * built at the top, by src/wiring/build-providers.ts, which nothing under
 * src/ but src/cli/ imports. A manager never imports this module (it would
 * close an import cycle); it takes the few providers it uses in its
 * constructor.
 */
import type { KeystoneConfig } from '../config/options.js';
import type { IdentityManager } from '../identity/identity-manager.js';
import type { ResourceManager } from '../resource/resource-manager.js';
import type { AssignmentManager } from '../assignment/assignment-manager.js';
import type { RoleManager } from '../assignment/role-manager.js';
import type { CatalogManager } from '../catalog/catalog-manager.js';
import type { UnifiedLimitManager } from '../limit/limit-manager.js';
import type { RevokeManager } from '../revoke/revoke-manager.js';
import type { TokenManager } from '../token/token-manager.js';
import type { ReceiptProvider } from '../receipt/receipt-provider.js';
import type { ApplicationCredentialManager } from '../application-credential/application-credential-manager.js';
import type { TrustManager } from '../trust/trust-manager.js';
import type { CredentialManager } from '../credential/credential-manager.js';
import type { DomainConfigManager } from '../domain-config/domain-config-manager.js';
import type { IdMappingManager } from '../identity/id-mapping/id-mapping-manager.js';
import type { OAuth1Manager } from '../oauth1/oauth1-manager.js';
import type { PolicyManager } from '../policy/policy-manager.js';
import type { FederationManager } from '../federation/federation-manager.js';
import type { WebSsoCodeFlow } from '../federation/oidc/websso-code-flow.js';
import type { EndpointPolicyManager } from '../endpoint-policy/endpoint-policy-manager.js';
import type { PolicyEnforcer } from '../rbac/policy-enforcer.js';
import type { ShadowUsersManager } from '../identity/shadow-users-manager.js';
import type { SamlServiceProvider } from '../federation/saml/sp/saml-service-provider.js';

export interface ProviderApi {
  readonly conf: KeystoneConfig;
  /** users, groups, memberships, passwords */
  readonly identity_api: IdentityManager;
  /** domains, projects, project tags */
  readonly resource_api: ResourceManager;
  /** grants, the role assignment listing, effective roles (the same object as role_api: it extends RoleManager) */
  readonly assignment_api: AssignmentManager;
  /** roles and implied roles */
  readonly role_api: RoleManager;
  /** regions, services, endpoints, endpoint groups, the token catalog */
  readonly catalog_api: CatalogManager;
  /** registered limits and project/domain limits */
  readonly unified_limit_api: UnifiedLimitManager;
  /** revocation events */
  readonly revoke_api: RevokeManager;
  /** issue, validate, revoke tokens */
  readonly token_provider_api: TokenManager;
  /** MFA auth receipts */
  readonly receipt_provider_api: ReceiptProvider;
  /** /v3/users/{id}/application_credentials and access_rules, and their look-up at authentication */
  readonly application_credential_api: ApplicationCredentialManager;
  /** OS-TRUST trusts */
  readonly trust_api: TrustManager;
  /** /v3/credentials, OS-EC2, the ec2/s3 token look-ups and the totp method's secrets */
  readonly credential_api: CredentialManager;
  /** domain-specific configuration (/v3/domains/{id}/config) */
  readonly domain_config_api: DomainConfigManager;
  /** public ids of the users and groups of directory (LDAP) domains: the id_mapping table */
  readonly id_mapping_api: IdMappingManager;
  /** OS-OAUTH1 consumers, request and access tokens, and the oauth1 method's signed requests */
  readonly oauth_api: OAuth1Manager;
  /** the /v3/policies blob store (nothing in it is enforced) */
  readonly policy_api: PolicyManager;
  /** OS-FEDERATION: identity providers, their protocols, mappings, service providers */
  readonly federation_api: FederationManager;
  /** WebSSO without a front proxy: the OpenID Connect authorization code flow run by this server */
  readonly websso_api: WebSsoCodeFlow;
  /** OS-ENDPOINT-POLICY: policies associated with endpoints, services and services in regions */
  readonly endpoint_policy_api: EndpointPolicyManager;
  /** federated users' local records (federated_user) and their expiring group memberships */
  readonly shadow_users_api: ShadowUsersManager;
  /** the native SAML 2.0 service provider ([saml2] idp_metadata_dir): ECP at the protocol auth endpoints */
  readonly saml_sp_api: SamlServiceProvider;
  /** oslo.policy's enforcer: Keystone's defaults under [oslo_policy] policy_file */
  readonly enforcer: PolicyEnforcer;
}
