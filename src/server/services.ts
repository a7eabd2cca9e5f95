/**
 * The managers of one process, as Keystone's PROVIDERS: built once per
 * worker (or per keystone-manage run) and handed to the API handlers.
 */
import type { KeystoneConfig } from '../config/options.js';
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
import { TotpSecrets } from '../auth/methods/totp.js';
import { DomainConfigManager } from '../domain-config/domain-config-manager.js';
import { ConsumerManager } from '../oauth1/consumer-manager.js';
import { TrustManager } from '../trust/trust-manager.js';
import { ApplicationCredentialManager } from '../application-credential/application-credential-manager.js';
import { PolicyEnforcer } from '../policy/policy-enforcer.js';
import { CredentialManager } from '../credential/credential-manager.js';

export interface Services {
  conf: KeystoneConfig;
  db: Database;
  cache: Cache;
  identity: IdentityManager;
  resource: ResourceManager;
  assignment: AssignmentManager;
  catalog: CatalogManager;
  /** registered limits and project/domain limits (src/limit/limit-manager.ts) */
  unifiedLimit: UnifiedLimitManager;
  /** revocation events: revokeByUser, revokeByProject, … (src/revoke/revoke-manager.ts) */
  revoke: RevokeManager;
  /** issue, validate, revoke tokens (src/token/token-manager.ts) */
  token: TokenManager;
  /** MFA auth receipts */
  receipts: ReceiptProvider;
  /** the auth side of application credentials */
  applicationCredentials: ApplicationCredentialStore;
  /** /v3/users/{id}/application_credentials and access_rules (src/application-credential) */
  applicationCredentialManager: ApplicationCredentialManager;
  /** OS-TRUST trusts; also the token manager's trust look-up */
  trusts: TrustManager;
  /** where the totp method finds secrets (the credential manager installs its source) */
  totpSecrets: TotpSecrets;
  /** domain-specific configuration (/v3/domains/{id}/config) */
  domainConfig: DomainConfigManager;
  /** OS-OAUTH1 consumers */
  consumers: ConsumerManager;
  /** oslo.policy's enforcer: Keystone 22's defaults under [oslo_policy] policy_file (src/policy) */
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
  const resource = new ResourceManager(db, cache, conf);
  const identity = new IdentityManager(db, cache, conf, createPasswordHasher(conf), resource);
  const assignment = new AssignmentManager(db, cache, conf, identity, resource);
  const catalog = new CatalogManager(db, cache, conf);
  catalog.followResource(resource.events);
  const unifiedLimit = new UnifiedLimitManager(db, cache, conf, resource, catalog);
  const revoke = new RevokeManager(db, cache, conf);
  identity.installRevocation(revoke);
  resource.installRevocation(revoke);
  assignment.installRevocation(revoke);
  const applicationCredentials = new ApplicationCredentialStore(db, cache, conf, identity.passwordHasher);
  const token = new TokenManager({ conf, db, cache, identity, resource, assignment, catalog, revoke, applicationCredentials });
  const receipts = new ReceiptProvider(conf);
  const trusts = new TrustManager(db, cache, conf, identity, resource, revoke);
  token.installTrustLookup(trusts);
  const applicationCredentialManager = new ApplicationCredentialManager(applicationCredentials, conf, identity, assignment);
  const credentials = new CredentialManager(db, cache, conf, identity, resource);
  const totpSecrets = new TotpSecrets();
  credentials.installTotpSource(totpSecrets);
  return { conf, db, cache, identity, resource, assignment, catalog, unifiedLimit, revoke, token, receipts, applicationCredentials, applicationCredentialManager, trusts, totpSecrets, credentials,
    domainConfig: new DomainConfigManager(db, conf), consumers: new ConsumerManager(db),
    policy: PolicyEnforcer.fromConfig(conf),
  };
}
