/**
 * The managers of one process, as Keystone's PROVIDERS: built once per
 * worker (or per keystone-manage run) and handed to the API handlers.
 */
import type { KeystoneConfig } from '../config/options.js';
import { openDatabase, type Database } from '../storage/database.js';
import { createCache, type Cache } from '../cache/cache.js';
import { IdentityManager } from '../identity/identity-manager.js';
import { IdentityRepository } from '../identity/identity-repository.js';
import { createPasswordHasher } from '../identity/password-hasher-factory.js';
import { ResourceManager } from '../resource/resource-manager.js';
import { ResourceRepository } from '../resource/resource-repository.js';
import { AssignmentManager } from '../assignment/assignment-manager.js';
import { AssignmentRepository } from '../assignment/assignment-repository.js';
import { CatalogManager } from '../catalog/catalog-manager.js';
import { CatalogRepository } from '../catalog/catalog-repository.js';
import { PolicyManager } from '../policy/policy-manager.js';
import { PolicyRepository } from '../policy/policy-repository.js';
import { UnifiedLimitManager } from '../limit/limit-manager.js';
import { LimitRepository } from '../limit/limit-repository.js';
import { RevokeManager } from '../revoke/revoke-manager.js';
import { RevokeRepository } from '../revoke/revoke-repository.js';
import { TokenManager } from '../token/token-manager.js';
import { TokenRepository } from '../token/token-repository.js';
import { ReceiptProvider } from '../receipt/receipt-provider.js';
import { TotpSecrets } from '../auth/methods/totp.js';
import { DomainConfigManager } from '../domain-config/domain-config-manager.js';
import { DomainConfigRepository } from '../domain-config/domain-config-repository.js';
import { ConsumerManager } from '../oauth1/consumer-manager.js';
import { ConsumerRepository } from '../oauth1/consumer-repository.js';
import { TrustManager } from '../trust/trust-manager.js';
import { TrustRepository } from '../trust/trust-repository.js';
import { ApplicationCredentialManager } from '../application-credential/application-credential-manager.js';
import { ApplicationCredentialRepository } from '../application-credential/application-credential-repository.js';
import { PolicyEnforcer } from '../rbac/policy-enforcer.js';
import { CredentialManager } from '../credential/credential-manager.js';
import { CredentialRepository } from '../credential/credential-repository.js';

export interface Services {
  conf: KeystoneConfig;
  db: Database;
  cache: Cache;
  identity: IdentityManager;
  resource: ResourceManager;
  assignment: AssignmentManager;
  catalog: CatalogManager;
  /** the legacy /v3/policies blobs (src/policy, Keystone's policy_api) */
  policies: PolicyManager;
  /** registered limits and project/domain limits (src/limit/limit-manager.ts) */
  unifiedLimit: UnifiedLimitManager;
  /** revocation events: revokeByUser, revokeByProject, … (src/revoke/revoke-manager.ts) */
  revoke: RevokeManager;
  /** issue, validate, revoke tokens (src/token/token-manager.ts) */
  token: TokenManager;
  /** MFA auth receipts (src/receipt) */
  receipts: ReceiptProvider;
  /** /v3/users/{id}/application_credentials and access_rules, and their look-up at authentication (src/application-credential) */
  applicationCredentials: ApplicationCredentialManager;
  /** OS-TRUST trusts; also the token manager's trust look-up */
  trusts: TrustManager;
  /** where the totp method finds secrets (the credential manager installs its source) */
  totpSecrets: TotpSecrets;
  /** domain-specific configuration (/v3/domains/{id}/config) */
  domainConfig: DomainConfigManager;
  /** OS-OAUTH1 consumers */
  consumers: ConsumerManager;
  /** oslo.policy's enforcer: Keystone 22's defaults under [oslo_policy] policy_file (src/rbac) */
  policy: PolicyEnforcer;
  /** /v3/credentials, OS-EC2 and the ec2/s3 token look-ups (src/credential/credential-manager.ts) */
  credentials: CredentialManager;
}

export interface BuildServicesOptions {
  embeddedSocketDir?: string;
  db?: Database;
  cache?: Cache;
}

export function buildServices(conf: KeystoneConfig, options: BuildServicesOptions = {}): Services {
  const db = options.db ?? openDatabase(conf, { embeddedSocketDir: options.embeddedSocketDir });
  const cache = options.cache ?? createCache(conf);
  const resource = new ResourceManager(new ResourceRepository(db), cache, conf);
  const identity = new IdentityManager(new IdentityRepository(db), cache, conf, createPasswordHasher(conf), resource);
  const assignment = new AssignmentManager(new AssignmentRepository(db), cache, conf, identity, resource);
  const catalog = new CatalogManager(new CatalogRepository(db), cache, conf);
  catalog.followResource(resource.events);
  const unifiedLimit = new UnifiedLimitManager(new LimitRepository(db), cache, conf, resource, catalog);
  const revoke = new RevokeManager(new RevokeRepository(db), cache, conf);
  identity.installRevocation(revoke);
  resource.installRevocation(revoke);
  assignment.installRevocation(revoke);
  const applicationCredentials = new ApplicationCredentialManager(new ApplicationCredentialRepository(db), cache, conf, identity, assignment);
  const token = new TokenManager({ conf, backend: new TokenRepository(db), cache, identity, resource, assignment, catalog, revoke, applicationCredentials });
  const receipts = new ReceiptProvider(conf);
  const trusts = new TrustManager(new TrustRepository(db), cache, conf, identity, resource, revoke);
  token.installTrustLookup(trusts);
  const credentials = new CredentialManager(new CredentialRepository(db), cache, conf, identity, resource);
  const totpSecrets = new TotpSecrets();
  credentials.installTotpSource(totpSecrets);
  return { conf, db, cache, identity, resource, assignment, catalog, policies: new PolicyManager(new PolicyRepository(db)), unifiedLimit, revoke, token, receipts, applicationCredentials, trusts, totpSecrets, credentials,
    domainConfig: new DomainConfigManager(new DomainConfigRepository(db), conf), consumers: new ConsumerManager(new ConsumerRepository(db)),
    policy: PolicyEnforcer.fromConfig(conf),
  };
}
