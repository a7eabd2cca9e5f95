/**
 * The one place that constructs the managers (Keystone's PROVIDERS), once per
 * worker or keystone-manage run, each given the providers it uses, in an
 * order where every dependency exists first. Only src/cli/ and the test
 * helpers import this module; everything else sees the types of
 * src/common/provider-api.ts.
 */
import type { KeystoneConfig } from '../config/options.js';
import type { ProviderApi } from '../common/provider-api.js';
import { openDatabase, type Database } from '../storage/database.js';
import { createCache, type Cache } from '../cache/cache.js';
import { IdentityManager } from '../identity/identity-manager.js';
import { IdentityRepository } from '../identity/identity-repository.js';
import { createPasswordHasher } from '../identity/password-hasher-factory.js';
import { DirectoryIdentities } from '../identity/directory-identities.js';
import { DomainIdentityDrivers } from '../identity/domain-identity-drivers.js';
import { IdMappingManager } from '../identity/id-mapping/id-mapping-manager.js';
import { IdMappingRepository } from '../identity/id-mapping/id-mapping-repository.js';
import { ResourceManager } from '../resource/resource-manager.js';
import { ResourceRepository } from '../resource/resource-repository.js';
import { AssignmentManager } from '../assignment/assignment-manager.js';
import { AssignmentRepository } from '../assignment/assignment-repository.js';
import { CatalogManager } from '../catalog/catalog-manager.js';
import { CatalogRepository } from '../catalog/catalog-repository.js';
import { PolicyManager } from '../policy/policy-manager.js';
import { PolicyRepository } from '../policy/policy-repository.js';
import { EndpointPolicyManager } from '../endpoint-policy/endpoint-policy-manager.js';
import { EndpointPolicyRepository } from '../endpoint-policy/endpoint-policy-repository.js';
import { UnifiedLimitManager } from '../limit/limit-manager.js';
import { LimitRepository } from '../limit/limit-repository.js';
import { RevokeManager } from '../revoke/revoke-manager.js';
import { RevokeRepository } from '../revoke/revoke-repository.js';
import { TokenManager } from '../token/token-manager.js';
import { TokenRepository } from '../token/token-repository.js';
import { ReceiptProvider } from '../receipt/receipt-provider.js';
import { DomainConfigManager } from '../domain-config/domain-config-manager.js';
import { DomainConfigRepository } from '../domain-config/domain-config-repository.js';
import { OAuth1Manager } from '../oauth1/oauth1-manager.js';
import { ConsumerRepository } from '../oauth1/consumer-repository.js';
import { DelegationRepository } from '../oauth1/delegation-repository.js';
import { NonceRepository } from '../oauth1/nonce-repository.js';
import { TrustManager } from '../trust/trust-manager.js';
import { TrustRepository } from '../trust/trust-repository.js';
import { ApplicationCredentialManager } from '../application-credential/application-credential-manager.js';
import { ApplicationCredentialRepository } from '../application-credential/application-credential-repository.js';
import { FederationManager } from '../federation/federation-manager.js';
import { FederationRepository } from '../federation/federation-repository.js';
import { WebSsoCodeFlow } from '../federation/oidc/websso-code-flow.js';
import { WebSsoClients } from '../federation/oidc/websso-clients.js';
import { AuthorizationRequestRepository } from '../federation/oidc/authorization-request-repository.js';
import { IssuerMetadataCache } from '../federation/oidc/issuer-metadata.js';
import { asymmetricAlgorithms } from '../federation/oidc/signed-jwt.js';
import { SamlServiceProvider } from '../federation/saml/sp/saml-service-provider.js';
import { SamlSpStateRepository } from '../federation/saml/sp/sp-state-repository.js';
import { getLogger } from '../log/logger.js';
import { PolicyEnforcer } from '../rbac/policy-enforcer.js';
import { CredentialManager } from '../credential/credential-manager.js';
import { CredentialRepository } from '../credential/credential-repository.js';
import { ShadowUsersManager } from '../identity/shadow-users-manager.js';

const samlLog = getLogger('keystone.federation');

export interface BuildProvidersOptions {
  embeddedSocketDir?: string;
  db?: Database;
  cache?: Cache;
}

/** The registry, and the storage it was built on (for the schema, the health check, metrics and shutdown). */
export interface BuiltProviders {
  providers: ProviderApi;
  db: Database;
  cache: Cache;
}

export function buildProviders(conf: KeystoneConfig, options: BuildProvidersOptions = {}): BuiltProviders {
  const db = options.db ?? openDatabase(conf, { embeddedSocketDir: options.embeddedSocketDir });
  const cache = options.cache ?? createCache(conf);
  // The order of construction is the order in which managers subscribe to each other's events.
  const revoke = new RevokeManager(new RevokeRepository(db), cache, conf);
  const resource = new ResourceManager(new ResourceRepository(db), cache, conf, revoke);
  // before identity: a deleted domain's identity providers (and their federated users' links) go before its users
  const federation = new FederationManager(new FederationRepository(db), resource, revoke, conf.saml.relay_state_prefix);
  const domainConfig = new DomainConfigManager(new DomainConfigRepository(db), conf);
  const idMapping = new IdMappingManager(new IdMappingRepository(db), cache);
  const domainDrivers = new DomainIdentityDrivers(conf, {
    domainName: async (domainId) => (await resource.findDomain(domainId))?.name ?? null,
    storedConfig: (domainId) => domainConfig.getConfigWithSensitive(domainId),
  });
  const identity = new IdentityManager(
    new IdentityRepository(db),
    cache,
    conf,
    createPasswordHasher(conf),
    resource,
    revoke,
    federation,
    new DirectoryIdentities(conf, domainDrivers, idMapping),
  );
  const assignment = new AssignmentManager(new AssignmentRepository(db), cache, conf, identity, resource, revoke);
  const catalog = new CatalogManager(new CatalogRepository(db), cache, conf, resource.events);
  const unifiedLimit = new UnifiedLimitManager(new LimitRepository(db), cache, conf, resource, catalog);
  const applicationCredentials = new ApplicationCredentialManager(
    new ApplicationCredentialRepository(db),
    cache,
    conf,
    identity,
    assignment,
  );
  const trusts = new TrustManager(new TrustRepository(db), cache, conf, identity, resource, revoke);
  const oauth = new OAuth1Manager({
    conf,
    consumers: new ConsumerRepository(db),
    tokens: new DelegationRepository(db),
    nonces: new NonceRepository(db),
    revoke_api: revoke,
    assignment_api: assignment,
    role_api: assignment,
  });
  const token = new TokenManager({
    conf,
    backend: new TokenRepository(db),
    cache,
    identity_api: identity,
    resource_api: resource,
    assignment_api: assignment,
    role_api: assignment,
    catalog_api: catalog,
    federation_api: federation,
    revoke_api: revoke,
    application_credential_api: applicationCredentials,
    trust_api: trusts,
    oauth_api: oauth,
  });
  const credentials = new CredentialManager(new CredentialRepository(db), cache, conf, identity, resource);
  const policies = new PolicyManager(new PolicyRepository(db));
  const endpointPolicy = new EndpointPolicyManager(new EndpointPolicyRepository(db), catalog, policies);
  const websso = new WebSsoCodeFlow(
    new AuthorizationRequestRepository(db),
    WebSsoClients.load(conf.openid.websso_clients_file),
    new IssuerMetadataCache(conf.openid.http_timeout),
    {
      allowedAlgorithms: asymmetricAlgorithms(conf.openid.allowed_algorithms),
      clockSkewSeconds: conf.openid.clock_skew,
      timeoutSeconds: conf.openid.http_timeout,
      requestLifetimeSeconds: conf.openid.websso_request_lifetime,
    },
  );
  const providers: ProviderApi = {
    conf,
    identity_api: identity,
    resource_api: resource,
    assignment_api: assignment,
    role_api: assignment,
    catalog_api: catalog,
    unified_limit_api: unifiedLimit,
    revoke_api: revoke,
    token_provider_api: token,
    receipt_provider_api: new ReceiptProvider(conf),
    application_credential_api: applicationCredentials,
    trust_api: trusts,
    credential_api: credentials,
    domain_config_api: domainConfig,
    id_mapping_api: idMapping,
    oauth_api: oauth,
    policy_api: policies,
    federation_api: federation,
    websso_api: websso,
    endpoint_policy_api: endpointPolicy,
    shadow_users_api: new ShadowUsersManager(new IdentityRepository(db), cache, conf, identity),
    saml_sp_api: new SamlServiceProvider(conf, new SamlSpStateRepository(db), (message) => samlLog.info(message)),
    enforcer: PolicyEnforcer.fromConfig(conf),
  };
  return { providers, db, cache };
}
