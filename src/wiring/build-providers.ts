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
import { createPasswordHasher } from '../identity/password-hasher-factory.js';
import { ResourceManager } from '../resource/resource-manager.js';
import { AssignmentManager } from '../assignment/assignment-manager.js';
import { CatalogManager } from '../catalog/catalog-manager.js';
import { UnifiedLimitManager } from '../limit/limit-manager.js';
import { RevokeManager } from '../revoke/revoke-manager.js';
import { TokenManager } from '../token/token-manager.js';
import { ReceiptProvider } from '../auth/receipts.js';
import { ApplicationCredentialStore } from '../auth/application-credentials.js';
import { DomainConfigManager } from '../domain-config/domain-config-manager.js';
import { ConsumerManager } from '../oauth1/consumer-manager.js';
import { TrustManager } from '../trust/trust-manager.js';
import { ApplicationCredentialManager } from '../application-credential/application-credential-manager.js';
import { PolicyBlobStore } from '../catalog/policy-blob-store.js';
import { PolicyEnforcer } from '../policy/policy-enforcer.js';
import { CredentialManager } from '../credential/credential-manager.js';

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
  const revoke = new RevokeManager(db, cache, conf);
  const resource = new ResourceManager(db, cache, conf, revoke);
  const identity = new IdentityManager(db, cache, conf, createPasswordHasher(conf), resource, revoke);
  const assignment = new AssignmentManager(db, cache, conf, identity, resource, revoke);
  const catalog = new CatalogManager(db, cache, conf, resource.events);
  const unifiedLimit = new UnifiedLimitManager(db, cache, conf, resource, catalog);
  const applicationCredentials = new ApplicationCredentialStore(db, cache, conf, identity.passwordHasher);
  const trusts = new TrustManager(db, cache, conf, identity, resource, revoke);
  const token = new TokenManager({
    conf, db, cache, identity_api: identity, resource_api: resource, assignment_api: assignment, role_api: assignment,
    catalog_api: catalog, revoke_api: revoke, application_credential_store: applicationCredentials, trust_api: trusts,
  });
  const applicationCredentialManager = new ApplicationCredentialManager(applicationCredentials, conf, identity, assignment);
  const credentials = new CredentialManager(db, cache, conf, identity, resource);
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
    application_credential_api: applicationCredentialManager,
    application_credential_store: applicationCredentials,
    trust_api: trusts,
    credential_api: credentials,
    domain_config_api: new DomainConfigManager(db, conf),
    oauth_api: new ConsumerManager(db),
    policy_api: new PolicyBlobStore(db),
    enforcer: PolicyEnforcer.fromConfig(conf),
  };
  return { providers, db, cache };
}
