/**
 * Tokens (Keystone's token_provider_api): issue, validate, revoke and render.
 *
 *  - issue: the facts (user, methods, scope, expiry, audit ids) go to the
 *    provider (Fernet or UUID), then the token is "minted" as Keystone mints
 *    it: the user, its domain, the scope and the roles are looked up, and a
 *    scope on which the user holds no role is refused (401).
 *  - validate: provider decode → the same look-ups (a missing user or a
 *    disabled project/domain: 404; no role left: 404) → expiry (with the
 *    ?allow_expired window) → revocation events (src/revoke).
 *  - memoized validation: a validated token and its rendered bodies are
 *    kept in this process's memory, tagged with a version and trusted only
 *    while the version is unchanged (src/token/memo-version.ts: with Redis,
 *    heard from a pub/sub broadcast every writer waits for, so a validation
 *    answered before needs no round trip; with the in-process cache, a
 *    counter moved by the keystone-all primary's relay; without a cache, the
 *    SQL token epoch read per request). Every write that can affect a
 *    validation changes it before it returns, so no worker of any
 *    keystone-all sharing the database (and Redis) answers a stale yes.
 *    A memoized validation also never outlives what made the token valid
 *    beyond the version: its own expiry, its trust's expires_at (checked
 *    against the clock on every hit) and the Fernet key that decrypted it
 *    or the JWS public key that verified it (when the keys change, a hit
 *    is decrypted or verified once more with the
 *    current keys; a token whose key left the repository is a miss).
 */
import { LRUCache } from 'lru-cache';
import { sweepStale } from '../cache/stale-sweep.js';
import { randomUUID } from 'node:crypto';
import type { KeystoneConfig } from '../config/options.js';
import type { TokenBackend } from './token-backend.js';
import type { Cache } from '../cache/cache.js';
import { EntityNotFound, Forbidden, NotFound, TokenNotFound, Unauthorized } from '../common/errors.js';
import { secondsFromIso } from '../common/time.js';
import type { IdentityManager } from '../identity/identity-manager.js';
import type { ResourceManager } from '../resource/resource-manager.js';
import type { AssignmentManager } from '../assignment/assignment-manager.js';
import type { RoleManager } from '../assignment/role-manager.js';
import type { CatalogManager } from '../catalog/catalog-manager.js';
import type { CatalogEntry } from '../catalog/catalog-types.js';
import type { Caller, CallerRole } from '../auth/caller.js';
import {
  APPLICATION_CREDENTIAL_CACHE_REGION,
  type ApplicationCredentialManager,
} from '../application-credential/application-credential-manager.js';
import { REVOKE_CACHE_REGION, TOKEN_CACHE_REGION, type RevokeManager } from '../revoke/revoke-manager.js';
import { TokenEpoch, watchTokenDependencies } from './token-epoch.js';
import { MemoVersion } from './memo-version.js';
import { recordCacheLookup, recordTokenOperation } from '../metrics/metrics.js';
import type { TokenValues } from '../revoke/revoke-model.js';
import { FernetTokenProvider } from './fernet-provider.js';
import { JwsTokenProvider } from './jws/jws-provider.js';
import { UuidTokenProvider } from './uuid/uuid-provider.js';
import { isKeyBound, keystoneIsoSeconds, type TokenProvider } from './token-provider.js';
import type { NamedRef, TokenFacts, TokenRecord, TokenUser, ValidatedToken } from './token-model.js';
import { renderTokenBody, type TokenServiceProvider } from './token-render.js';
import { securityForbidden, securityUnauthorized } from '../auth/auth-errors.js';

/** The regions a validated token depends on (the owners' region names). */
export const TOKEN_DEPENDENCY_REGIONS = [
  REVOKE_CACHE_REGION,
  TOKEN_CACHE_REGION,
  'identity',
  'resource',
  'assignment',
  'catalog',
  APPLICATION_CREDENTIAL_CACHE_REGION,
  'trust',
  // identity providers and protocols: a federated token ends with its IdP (deleted or disabled)
  'federation',
] as const;

const FAILED = 'Failed to validate token';

/** A trust as token validation needs it (the trust manager implements TrustLookup). */
export interface TrustForToken {
  id: string;
  trustorUserId: string;
  trusteeUserId: string;
  projectId: string | null;
  impersonation: boolean;
  roleIds: string[];
  /** epoch ms or null */
  expiresAt: number | null;
  deleted: boolean;
}
export interface TrustLookup {
  findTrust(id: string): Promise<TrustForToken | null>;
}

/** An OAuth1 access token as token validation needs it (the OAuth1 manager implements AccessTokenLookup). */
export interface AccessTokenForToken {
  id: string;
  consumerId: string;
  authorizingUserId: string;
  projectId: string;
  roleIds: string[];
  /** Keystone's isotime, null: never ([oauth1] access_token_duration = 0) */
  expiresAt: string | null;
}
export interface AccessTokenLookup {
  findAccessToken(id: string): Promise<AccessTokenForToken | null>;
}

/** An identity provider as a federated token needs it (the federation manager implements FederationLookup). */
export interface IdentityProviderForToken {
  id: string;
  enabled: boolean;
}
export interface FederationLookup {
  /** Keystone's get_idp: IdentityProviderNotFound (404) when there is none */
  getIdentityProvider(id: string): Promise<IdentityProviderForToken>;
}

/** What a federated sign-in adds to a token (Keystone's OS-FEDERATION auth context). */
export interface FederatedFacts {
  identityProviderId: string;
  protocolId: string;
  /** the groups the mapping gave (ids) */
  groupIds: readonly string[];
}

export interface IssueTokenInput {
  userId: string;
  methods: readonly string[];
  /** inherited by rescoped tokens; default now + [token] expiration */
  expiresAt?: string;
  /** the audit chain: the original token's audit id when rescoping */
  parentAuditId?: string | null;
  systemScope?: 'all';
  projectId?: string;
  domainId?: string;
  trustId?: string;
  appCredId?: string;
  accessTokenId?: string;
  /** OAuth 2.0 mTLS: the thumbprint of the client certificate the token is bound to */
  oauth2Thumbprint?: string;
  /** a federated token: the identity provider, protocol and mapped groups */
  federated?: FederatedFacts;
}

export interface ValidateOptions {
  /** seconds past expiry a token is still accepted (?allow_expired=1) */
  windowSeconds?: number;
  /**
   * The OpenStack-Identity-Access-Rules header of the request: a token of an
   * application credential with access rules validates only for a client
   * that declares support (version 1.0 or later), as Keystone's
   * _validate_token_access_rules.
   */
  accessRulesSupport?: string | null;
}

export const ACCESS_RULES_HEADER = 'openstack-identity-access-rules';

/** Keystone's check: access rules need a client (keystonemiddleware) that enforces them. */
export function accessRulesAllowed(token: ValidatedToken, support: string | null | undefined): boolean {
  if (!token.appCred?.accessRules?.length) return true;
  const version = support ? Number.parseFloat(support) : NaN;
  return Number.isFinite(version) && version >= 1.0;
}

/** What the memo keeps per token: the validated token and its rendered forms. */
export interface MemoEntry {
  version: string;
  token: ValidatedToken;
  expiresAtSeconds: number;
  /** when something the token depends on expires by time (its trust), in seconds; no ?allow_expired window applies */
  dependencyExpiresAtSeconds?: number;
  /** the Fernet or JWS keys in force when the token was last decrypted or verified (a list compared by identity) */
  keys?: readonly unknown[];
  caller?: Caller;
  /** the rendered bodies, as the bytes sent (not encoded again per response) */
  bodyWithCatalog?: Buffer;
  bodyWithoutCatalog?: Buffer;
  /** the token's methods as the token-operation metric labels them */
  methodsLabel?: string;
}

/** A catalog kept for a user and project under a version, and its JSON once a GET /v3/auth/catalog asked for it. */
interface CatalogMemo {
  version: string;
  catalog: CatalogEntry[];
  json?: string;
}

/** keyed without the version, so that a new version replaces the entry instead of adding one */
function catalogKey(userId: string, projectId: string | null): string {
  return `${userId}\u0000${projectId ?? ''}`;
}

/** What the token manager reads: storage, and the providers it uses under their registry names (src/common/provider-api.ts). */
export interface TokenManagerDeps {
  conf: KeystoneConfig;
  /** persisted (UUID) tokens and the token epoch */
  backend: TokenBackend;
  cache: Cache;
  identity_api: Pick<IdentityManager, 'findUser'>;
  resource_api: Pick<ResourceManager, 'findDomain' | 'findProject'>;
  assignment_api: Pick<
    AssignmentManager,
    'rolesForUserOnProject' | 'rolesForUserOnDomain' | 'rolesForUserOnSystem' | 'rolesForGroups' | 'listSystemGrants'
  >;
  role_api: Pick<RoleManager, 'expandImpliedRoles' | 'findRole'>;
  catalog_api: Pick<CatalogManager, 'getV3Catalog'>;
  /** federated tokens' identity providers; the enabled service providers every token lists (their changes drop the token cache) */
  federation_api: FederationLookup & { listEnabledServiceProviders(): Promise<TokenServiceProvider[]> };
  revoke_api: Pick<RevokeManager, 'onRevoke' | 'isRevoked' | 'revokeByAuditId'>;
  application_credential_api: Pick<ApplicationCredentialManager, 'find'>;
  trust_api: TrustLookup;
  oauth_api: AccessTokenLookup;
}

/** [token] provider: fernet (the default), jws or uuid. */
function providerFor(conf: KeystoneConfig, backend: TokenBackend): TokenProvider {
  if (conf.token.provider === 'uuid') return new UuidTokenProvider(backend);
  if (conf.token.provider === 'jws') return new JwsTokenProvider(conf);
  return new FernetTokenProvider(conf);
}

/** Keystone's random_urlsafe_str: 16 random bytes, urlsafe base64 without padding (22 characters). */
export function newAuditId(): string {
  return Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
}

export class TokenManager {
  readonly provider: TokenProvider;
  /** bounded by size (rendered bodies dominate), so a worker's memory stays flat under any token mix */
  private readonly memo: LRUCache<string, MemoEntry>;
  private readonly pendingValidations = new Map<string, Promise<MemoEntry>>();
  private readonly conf: KeystoneConfig;
  private readonly version: MemoVersion;
  /** per user and project: the catalog of the version it was read under */
  private readonly catalogs = new LRUCache<string, CatalogMemo>({ max: 2000 });
  /** the enabled service providers of the version they were read under */
  private serviceProviders: { version: string; list: TokenServiceProvider[] } | null = null;
  private readonly memoSweeper: NodeJS.Timeout;
  /** memo hits and misses of this process (also counted in the cache stats under "token-validation") */
  readonly validationStats = { hits: 0, misses: 0 };

  constructor(private readonly deps: TokenManagerDeps) {
    this.conf = deps.conf;
    this.memo = new LRUCache<string, MemoEntry>({
      max: 50_000,
      maxSize: 12 * 1024 * 1024,
      sizeCalculation: (e) => 2048 + (e.bodyWithCatalog?.length ?? 0) + (e.bodyWithoutCatalog?.length ?? 0),
      // [token] cache_time (else [cache] expiration_time): how long a validation is reused at most
      ttl: Math.max(1, deps.conf.token.cache_time ?? deps.conf.cache.expiration_time) * 1000,
      ttlAutopurge: false,
    });
    this.memoSweeper = sweepStale(() => [this.memo], Math.min(this.memo.ttl, 60_000));
    this.provider = providerFor(deps.conf, deps.backend);
    this.version = new MemoVersion({
      cache: deps.cache,
      epoch: new TokenEpoch(deps.backend),
      useCache: deps.cache.enabled && this.conf.token.caching,
      relayedRegions: TOKEN_DEPENDENCY_REGIONS,
    });
    // With Redis, the look-ups behind a token (users, projects, roles, assignments, catalog) are kept in
    // this process too, under the same version: a validation or rescope needs no round trip to Redis.
    if (deps.cache.backend.name === 'redis') deps.cache.keepLocally(TOKEN_DEPENDENCY_REGIONS, () => this.version.currentSync());
    // Without a cache, under the SQL epoch the request read before any look-up (as the memoized validations):
    // a look-up made after that read is never older than it, and every write advances the epoch before it returns.
    else if (!deps.cache.enabled) deps.cache.keepLocally(TOKEN_DEPENDENCY_REGIONS, () => this.version.readInRequest());
    watchTokenDependencies(
      deps.cache,
      TOKEN_DEPENDENCY_REGIONS,
      () => this.version.changed(),
      () => {
        this.version.invalidatingHere();
      },
    );
    deps.revoke_api.onRevoke(async (event) => {
      if (this.provider instanceof UuidTokenProvider) {
        if (event.userId && !event.projectId && !event.auditId) await this.provider.revokedUser(event.userId);
        if (event.trustId) await this.provider.revokedTrust(event.trustId);
      }
    });
  }

  /** The version without waiting, when it can be known at once (memo-version.ts); undefined when currentVersion() must read it. */
  currentVersionSync(): string | undefined {
    return this.version.currentSync();
  }

  /** The version memoized validations must carry to be trusted now; null when none can be read (nothing is memoized then). */
  currentVersion(): Promise<string | null> {
    return this.version.current();
  }

  private count(hit: boolean): void {
    if (hit) this.validationStats.hits++;
    else this.validationStats.misses++;
    const s = (this.deps.cache.stats['token-validation'] ??= { hits: 0, misses: 0 });
    if (hit) s.hits++;
    else s.misses++;
    recordCacheLookup('token-validation', hit);
  }

  // ---- issue ----------------------------------------------------------------------------

  defaultExpiresAt(nowSeconds = Date.now() / 1000): string {
    return keystoneIsoSeconds(nowSeconds + this.conf.token.expiration);
  }

  async issueToken(input: IssueTokenInput): Promise<ValidatedToken> {
    const delegationEnds = await this.delegationExpiresAtSeconds(input);
    const version = await this.currentVersion();
    // after the awaits: issued_at is the provider's clock when it mints, and expires_at - issued_at is the
    // configured expiration (not a second less when a slow look-up crossed a second)
    let expiresAt = input.expiresAt ?? this.defaultExpiresAt();
    if (delegationEnds !== null && delegationEnds < secondsFromIso(expiresAt)) expiresAt = keystoneIsoSeconds(delegationEnds);
    const facts: TokenFacts = {
      userId: input.userId,
      methods: input.methods,
      auditId: newAuditId(),
      parentAuditId: input.parentAuditId ?? null,
      expiresAt,
    };
    if (input.systemScope) facts.systemScope = 'all';
    if (input.domainId) facts.domainId = input.domainId;
    if (input.projectId) facts.projectId = input.projectId;
    if (input.trustId) facts.trustId = input.trustId;
    if (input.appCredId) facts.appCredId = input.appCredId;
    if (input.accessTokenId) facts.accessTokenId = input.accessTokenId;
    if (input.oauth2Thumbprint) facts.oauth2Thumbprint = input.oauth2Thumbprint;
    if (input.federated) {
      facts.identityProviderId = input.federated.identityProviderId;
      facts.protocolId = input.federated.protocolId;
      facts.federatedGroupIds = [...input.federated.groupIds];
    }
    const keys = this.keysInForce();
    const issued = await this.provider.issue(facts);
    const { id, issuedAt } = issued;
    // As the provider decodes it (method order, expiry rendering), so issue and validate bodies agree.
    const decoded = issued.record ?? (isKeyBound(this.provider) ? this.provider.validateSync(id) : { ...facts, id, issuedAt });
    // Minted as Keystone mints: the same look-ups and refusals as validation.
    const token = await this.mint(decoded);
    if (version !== null) this.memo.set(id, await this.memoEntry(version, token, secondsFromIso(token.expiresAt), keys));
    recordTokenOperation('issue', this.provider.name, token.methods.join(','), 'success');
    return token;
  }

  // ---- validation -------------------------------------------------------------------------

  /**
   * Keystone's validate_token: TokenNotFound (404) for anything not valid
   * now (or within the window). Callers that authenticate a request map it
   * to 401.
   */
  async validateToken(id: string | undefined, options: ValidateOptions = {}): Promise<ValidatedToken> {
    return (await this.validateEntry(id, options)).token;
  }

  /**
   * The memoized validation when it is current, without any I/O beyond the
   * version (which the caller read, once per request); undefined on a miss.
   */
  memoized(id: string, version: string | null, windowSeconds = 0): MemoEntry | undefined {
    if (version === null) return undefined;
    const hit = this.memo.get(id);
    if (!hit || hit.version !== version) return undefined;
    if (
      (hit.dependencyExpiresAtSeconds !== undefined && !(Date.now() / 1000 < hit.dependencyExpiresAtSeconds)) ||
      !this.keysStillDecrypt(id, hit)
    ) {
      // validated again from the source, which answers as Keystone does
      this.memo.delete(id);
      return undefined;
    }
    this.checkExpiry(hit.expiresAtSeconds, windowSeconds);
    return hit;
  }

  /**
   * Whether the Fernet keys (JWS public keys) in force still decrypt (verify) the memoized token: at once while the key ring is the
   * one it was decrypted with; after a change (fernet_rotate, a key removed or synced), decrypted again
   * once (no I/O: the ring is in memory, reloaded by its watcher).
   */
  private keysStillDecrypt(id: string, entry: MemoEntry): boolean {
    if (!isKeyBound(this.provider)) return true;
    const keys = this.provider.currentKeys();
    if (entry.keys === keys) return true;
    try {
      this.provider.validateSync(id);
    } catch {
      return false;
    }
    entry.keys = keys;
    return true;
  }

  /**
   * When the delegation a token is issued through ends (seconds; null: never): a token never outlives it.
   * An application credential's expiry is Keystone's cap (CVE-2022-2447); an OAuth1 access token's is ours:
   * Keystone 22 lets such a token run its full [token] expiration past the access token (README, OS-OAUTH1).
   */
  private async delegationExpiresAtSeconds(input: IssueTokenInput): Promise<number | null> {
    if (input.appCredId) {
      const cred = await this.deps.application_credential_api.find(input.appCredId);
      if (cred?.expiresAt !== null && cred?.expiresAt !== undefined) return cred.expiresAt / 1000;
    }
    if (input.accessTokenId) {
      const access = await this.deps.oauth_api.findAccessToken(input.accessTokenId);
      const ends = access?.expiresAt ? secondsFromIso(access.expiresAt) : NaN;
      if (Number.isFinite(ends)) return ends;
    }
    return null;
  }

  /** The keys about to decrypt a token (read before decrypting, so that a change meanwhile is noticed on the next hit). */
  private keysInForce(): readonly unknown[] | undefined {
    return isKeyBound(this.provider) ? this.provider.currentKeys() : undefined;
  }

  /** A memo entry for a token just minted: with its trust's expiry and the keys that decrypted it. */
  private async memoEntry(
    version: string,
    token: ValidatedToken,
    expiresAtSeconds: number,
    keys: readonly unknown[] | undefined,
  ): Promise<MemoEntry> {
    const entry: MemoEntry = { version, token, expiresAtSeconds, keys };
    if (token.trust) {
      const trust = await this.deps.trust_api.findTrust(token.trust.id);
      if (trust?.expiresAt !== null && trust?.expiresAt !== undefined) entry.dependencyExpiresAtSeconds = trust.expiresAt / 1000;
    }
    return entry;
  }

  async validateEntry(id: string | undefined, options: ValidateOptions = {}, knownVersion?: string | null): Promise<MemoEntry> {
    const entry = await this.validateEntryOnly(id, options, knownVersion);
    if (!accessRulesAllowed(entry.token, options.accessRulesSupport)) throw new TokenNotFound(FAILED);
    return entry;
  }

  private async validateEntryOnly(id: string | undefined, options: ValidateOptions, knownVersion?: string | null): Promise<MemoEntry> {
    if (!id) throw new TokenNotFound('No token in the request');
    const version = knownVersion === undefined ? await this.currentVersion() : knownVersion;
    const hit = this.memoized(id, version, options.windowSeconds ?? 0);
    if (hit) return this.countMemoHit(hit);
    this.count(false);
    // Concurrent misses of one token (a burst after a change) share one validation from the source.
    const key = `${version ?? '-'}\u0000${String(options.windowSeconds ?? 0)}\u0000${id}`;
    let pending = this.pendingValidations.get(key);
    if (!pending) {
      pending = this.validateFromSource(id, version, options).finally(() => this.pendingValidations.delete(key));
      this.pendingValidations.set(key, pending);
    }
    try {
      return await pending;
    } catch (err) {
      recordTokenOperation('validate', this.provider.name, '-', err instanceof TokenNotFound ? 'invalid' : 'error');
      throw err;
    }
  }

  /**
   * A validation answered from the memo (here, or by the fast path ahead of the router): a hit of
   * the token-validation cache and a successful validation, as one from the source is counted.
   */
  countMemoHit(entry: MemoEntry): MemoEntry {
    this.count(true);
    recordTokenOperation('validate', this.provider.name, (entry.methodsLabel ??= entry.token.methods.join(',')), 'success');
    return entry;
  }

  private async validateFromSource(id: string, version: string | null, options: ValidateOptions): Promise<MemoEntry> {
    const keys = this.keysInForce();
    const record = await this.provider.validate(id);
    let token: ValidatedToken;
    try {
      token = await this.mint(record);
    } catch (err) {
      if (err instanceof Unauthorized || err instanceof Forbidden) throw new TokenNotFound(`Could not find token: ${id}.`);
      throw err;
    }
    const expiresAtSeconds = secondsFromIso(token.expiresAt);
    this.checkExpiry(expiresAtSeconds, options.windowSeconds ?? 0);
    if (await this.deps.revoke_api.isRevoked(tokenValuesOf(token), version)) throw new TokenNotFound(FAILED);
    const entry = await this.memoEntry(version ?? '', token, expiresAtSeconds, keys);
    if (version !== null) this.memo.set(id, entry);
    recordTokenOperation('validate', this.provider.name, token.methods.join(','), 'success');
    return entry;
  }

  private checkExpiry(expiresAtSeconds: number, windowSeconds: number): void {
    if (!(Date.now() / 1000 < expiresAtSeconds + windowSeconds)) throw new TokenNotFound(FAILED);
  }

  /** The validated token as a policy caller (memoized with the token). */
  async callerFor(id: string | undefined, version?: string | null, accessRulesSupport?: string | null): Promise<Caller> {
    return TokenManager.callerOfEntry(await this.validateEntry(id, { accessRulesSupport }, version), this.conf);
  }

  static callerOfEntry(entry: MemoEntry, conf: KeystoneConfig): Caller {
    entry.caller ??= callerOf(entry.token, conf);
    return entry.caller;
  }

  /** GET /v3/auth/tokens: the validated token and its JSON body (memoized with the token). */
  async validatedBody(
    id: string | undefined,
    options: ValidateOptions & { includeCatalog: boolean },
    version?: string | null,
  ): Promise<{ token: ValidatedToken; body: Buffer }> {
    const entry = await this.validateEntry(id, options, version);
    return { token: entry.token, body: await this.bodyOf(entry, options.includeCatalog) };
  }

  /** The entry's rendered body, rendered once. */
  bodyOf(entry: MemoEntry, includeCatalog: boolean): Buffer | Promise<Buffer> {
    const key = includeCatalog ? 'bodyWithCatalog' : 'bodyWithoutCatalog';
    const body = entry[key];
    if (body !== undefined) return body;
    return this.renderBody(entry.token, includeCatalog).then((rendered) => {
      const text = JSON.stringify(rendered);
      // its own allocation, not a slice of node's shared pool that it would keep alive with others
      const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
      bytes.write(text);
      entry[key] = bytes;
      // re-set so the memo accounts for the body's size
      if (this.memo.get(entry.token.id) === entry) this.memo.set(entry.token.id, entry, { noUpdateTTL: true });
      return bytes;
    });
  }

  async renderBody(token: ValidatedToken, includeCatalog: boolean): Promise<Record<string, unknown>> {
    const catalog =
      includeCatalog && isScopedToken(token) ? await this.catalogFor(token.catalogUserId, token.project?.id ?? null) : undefined;
    return renderTokenBody(token, catalog, await this.enabledServiceProviders());
  }

  private async enabledServiceProviders(): Promise<TokenServiceProvider[]> {
    const version = this.currentVersionSync() ?? (await this.currentVersion());
    if (version !== null && this.serviceProviders?.version === version) return this.serviceProviders.list;
    const list = await this.deps.federation_api.listEnabledServiceProviders();
    if (version !== null) this.serviceProviders = { version, list };
    return list;
  }

  /**
   * The catalog of a token, shared by the tokens of one user and project while the version holds
   * (one catalog object per user and project instead of one per token: issuing and validating
   * allocate far less). Also without a cache: the version is then the SQL epoch read once per
   * request, which every catalog write advances, as it trusts the memoized bodies that hold a catalog.
   */
  private async catalogFor(userId: string, projectId: string | null): Promise<CatalogEntry[]> {
    return (await this.catalogEntry(userId, projectId)).catalog;
  }

  private async catalogEntry(userId: string, projectId: string | null): Promise<CatalogMemo> {
    const version = this.currentVersionSync() ?? (await this.currentVersion());
    if (version === null) return { version: '', catalog: await this.deps.catalog_api.getV3Catalog(userId, projectId) };
    const hit = this.catalogs.get(catalogKey(userId, projectId));
    if (hit?.version === version) return hit;
    const entry: CatalogMemo = { version, catalog: await this.deps.catalog_api.getV3Catalog(userId, projectId) };
    this.catalogs.set(catalogKey(userId, projectId), entry);
    return entry;
  }

  /** GET /v3/auth/catalog: the catalog of a user and project as JSON, serialized once per version. */
  async catalogJson(userId: string, projectId: string): Promise<string> {
    const entry = await this.catalogEntry(userId, projectId);
    return (entry.json ??= JSON.stringify(entry.catalog));
  }

  /** The serialized catalog when it is memoized under `version` and was serialized already (the fast path); else undefined. */
  catalogJsonNow(userId: string, projectId: string, version: string): string | undefined {
    const hit = this.catalogs.get(catalogKey(userId, projectId));
    return hit?.version === version ? hit.json : undefined;
  }

  // ---- revocation ---------------------------------------------------------------------------

  /** DELETE /v3/auth/tokens: the token's audit id is revoked (its rescoped children keep theirs). */
  async revokeToken(id: string): Promise<void> {
    const token = await this.validateToken(id);
    await this.provider.revoked?.(id);
    await this.deps.revoke_api.revokeByAuditId(token.auditId);
    this.memo.delete(id);
    recordTokenOperation('revoke', this.provider.name, token.methods.join(','), 'success');
  }

  /** Drops this process's memo (tests; the shared stamps already cover other processes). */
  clearMemo(): void {
    this.memo.clear();
  }

  close(): void {
    clearInterval(this.memoSweeper);
    this.provider.close?.();
    this.version.close();
  }

  // ---- minting: the look-ups behind a token -----------------------------------------------

  /** An Unauthorized with Keystone's secure-mode message (the detail only with insecure_debug). */
  private denied(detail: string): Unauthorized {
    return securityUnauthorized(this.conf.DEFAULT.insecure_debug, detail);
  }

  /** Keystone's trust checks raise Forbidden: a 403 when a token is asked for (validation still answers 404). */
  private trustForbidden(detail: string): Forbidden {
    return securityForbidden(this.conf.DEFAULT.insecure_debug, detail);
  }

  private async namedDomain(id: string, disabledMessage: boolean): Promise<NamedRef> {
    const domain = await this.deps.resource_api.findDomain(id);
    if (!domain) throw new EntityNotFound('domain', id);
    if (disabledMessage && !domain.enabled) throw new NotFound(`Unable to validate token because domain ${id} is disabled`);
    return { id: domain.id, name: domain.name };
  }

  private async tokenUser(userId: string): Promise<TokenUser> {
    const user = await this.deps.identity_api.findUser(userId);
    if (!user) throw new EntityNotFound('user', userId);
    const domain = await this.namedDomain(user.domainId, true);
    return { id: user.id, name: user.name, domain, passwordExpiresAt: user.passwordExpiresAt };
  }

  /**
   * Keystone's _get_oauth_roles: the access token's roles and those they imply, as far as the user
   * still holds them on the project. The access token gone (deleted, its consumer deleted): no token.
   */
  private async oauthRoles(
    userId: string,
    accessTokenId: string,
    projectId: string,
    userRoles: readonly CallerRole[],
  ): Promise<{ roles: CallerRole[]; consumerId: string }> {
    const access = await this.deps.oauth_api.findAccessToken(accessTokenId);
    if (!access) throw new NotFound('Access token not found');
    if (access.authorizingUserId !== userId || access.projectId !== projectId)
      throw this.denied(`Access token ${accessTokenId} does not delegate this scope`);
    const held = new Set(userRoles.map((r) => r.id));
    const roles: CallerRole[] = [];
    for (const roleId of await this.deps.role_api.expandImpliedRoles(access.roleIds)) {
      if (!held.has(roleId)) continue;
      const role = await this.deps.role_api.findRole(roleId);
      if (role) roles.push({ id: role.id, name: role.name });
    }
    return { roles, consumerId: access.consumerId };
  }

  /** Keystone's TokenModel look-ups and mint() checks. */
  async mint(record: TokenRecord): Promise<ValidatedToken> {
    const {
      identity_api: identity,
      resource_api: resource,
      assignment_api: assignment,
      role_api: roleApi,
      application_credential_api: applicationCredentials,
    } = this.deps;
    const federated = isFederated(record);
    if (federated) await this.checkIdentityProvider(record);
    const user = await this.tokenUser(record.userId);
    const token: ValidatedToken = { ...record, user, roles: [], catalogUserId: record.userId };

    if (record.trustId) {
      const trust = await this.deps.trust_api.findTrust(record.trustId);
      if (!trust || trust.deleted || (trust.expiresAt !== null && trust.expiresAt <= Date.now()))
        throw new EntityNotFound('trust', record.trustId);
      if (trust.trusteeUserId !== record.userId) throw this.trustForbidden('User is not a trustee.');
      // A trust-scoped token is scoped to the trust's project and nothing else, whichever path minted it.
      if ((record.projectId ?? null) !== trust.projectId || record.domainId || record.systemScope) {
        throw this.trustForbidden("A trust-scoped token is scoped to the trust's project only.");
      }
      if (record.appCredId) throw this.trustForbidden('A trust-scoped token cannot carry an application credential.');
      const trustor = await this.tokenUser(trust.trustorUserId);
      const trustorUser = await identity.findUser(trust.trustorUserId);
      if (!trustorUser?.enabled) throw this.trustForbidden('Trustor is disabled.');
      token.trust = {
        id: trust.id,
        trustorUserId: trust.trustorUserId,
        trusteeUserId: trust.trusteeUserId,
        impersonation: trust.impersonation,
        trustor,
      };
      token.catalogUserId = trust.trustorUserId;
      if (trust.projectId) {
        const trustorRoles = await assignment.rolesForUserOnProject(trust.trustorUserId, trust.projectId);
        const held = new Set(trustorRoles.map((r) => r.id));
        const delegated = await roleApi.expandImpliedRoles(trust.roleIds);
        const roles: CallerRole[] = [];
        for (const roleId of delegated) {
          if (!held.has(roleId)) throw this.trustForbidden('Trustee has no delegated roles.');
          const role = await roleApi.findRole(roleId);
          // Keystone's _get_trust_roles renders the whole role (as get_role gives it), not only id and name
          if (role && role.domainId === null) {
            roles.push({
              ...role.extra,
              id: role.id,
              name: role.name,
              domain_id: null,
              description: role.description,
              options: role.options,
            } as CallerRole);
          }
        }
        token.roles = roles;
      }
    }

    if (record.projectId) {
      const project = await resource.findProject(record.projectId);
      if (!project) throw new EntityNotFound('project', record.projectId);
      if (!project.enabled) throw new NotFound(`Unable to validate token because project ${project.id} is disabled`);
      const domain = await this.namedDomain(project.domainId, true);
      token.project = { id: project.id, name: project.name, domain, isDomain: project.isDomain };
      const { admin_project_name: apName, admin_project_domain_name: apDomain } = this.conf.resource;
      if (apName && apDomain) token.isAdminProject = project.name === apName && domain.name === apDomain;
      if (federated) {
        token.roles = await this.federatedRoles(record, { projectId: project.id });
      } else if (!record.trustId) {
        const userRoles = await assignment.rolesForUserOnProject(record.userId, project.id);
        if (record.accessTokenId) {
          const oauth = await this.oauthRoles(record.userId, record.accessTokenId, project.id, userRoles);
          token.roles = oauth.roles;
          token.oauthConsumerId = oauth.consumerId;
        } else if (record.appCredId) {
          const cred = await applicationCredentials.find(record.appCredId);
          if (!cred) throw new EntityNotFound('application credential', record.appCredId);
          if (cred.userId !== record.userId) throw this.denied(`Application credential ${cred.id} is not the user's`);
          const held = new Set(userRoles.map((r) => r.id));
          token.roles = cred.roles.filter((r) => held.has(r.id)).map((r) => ({ id: r.id, name: r.name }));
          token.appCred = { id: cred.id, name: cred.name, restricted: !cred.unrestricted };
          if (cred.accessRules.length) token.appCred.accessRules = cred.accessRules;
        } else {
          token.roles = userRoles.map((r) => ({ id: r.id, name: r.name }));
        }
      }
      if (token.roles.length === 0) throw this.denied(`User ${record.userId} has no access to project ${project.id}`);
    } else if (record.domainId) {
      const domain = await resource.findDomain(record.domainId);
      if (!domain) throw new EntityNotFound('domain', record.domainId);
      if (!domain.enabled) throw new NotFound(`Unable to validate token because domain ${domain.id} is disabled`);
      token.domain = { id: domain.id, name: domain.name };
      token.roles = federated
        ? await this.federatedRoles(record, { domainId: domain.id })
        : (await assignment.rolesForUserOnDomain(record.userId, domain.id)).map((r) => ({ id: r.id, name: r.name }));
      if (token.roles.length === 0) throw this.denied(`User ${record.userId} has no access to domain ${domain.id}`);
    } else if (record.systemScope) {
      token.roles = (await assignment.rolesForUserOnSystem(record.userId)).map((r) => ({ id: r.id, name: r.name }));
      if (token.roles.length === 0) throw this.denied(`User ${record.userId} has no access to the system`);
    }
    return token;
  }

  /**
   * A federated token's identity provider must still exist (Keystone renders it with get_idp: 404 when
   * gone) and, here, be enabled: disabling an IdP ends the tokens it vouched for, as deleting it does.
   */
  private async checkIdentityProvider(record: TokenRecord): Promise<void> {
    const idpId = record.identityProviderId ?? '';
    const idp = await this.deps.federation_api.getIdentityProvider(idpId);
    if (!idp.enabled) throw this.denied(`Identity Provider ${idpId} is disabled`);
  }

  /**
   * Keystone's _get_federated_roles: the mapped groups' effective roles on the scope and their system
   * grants, the user's own system grants, then the user's roles on the domain or project; whole role
   * references (as get_role gives them), each once.
   */
  private async federatedRoles(record: TokenRecord, target: { projectId: string } | { domainId: string }): Promise<CallerRole[]> {
    const { assignment_api: assignment } = this.deps;
    const groupIds = record.federatedGroupIds ?? [];
    const found = [...(await assignment.rolesForGroups(groupIds, target))];
    for (const groupId of groupIds) found.push(...(await assignment.listSystemGrants({ groupId })));
    found.push(...(await assignment.listSystemGrants({ userId: record.userId })));
    if ('domainId' in target) found.push(...(await assignment.rolesForUserOnDomain(record.userId, target.domainId)));
    else found.push(...(await assignment.rolesForUserOnProject(record.userId, target.projectId)));
    const roles = new Map<string, CallerRole>();
    for (const role of found) {
      if (roles.has(role.id)) continue;
      roles.set(role.id, {
        ...role.extra,
        id: role.id,
        name: role.name,
        domain_id: role.domainId,
        description: role.description,
        options: role.options,
      } as CallerRole);
    }
    return [...roles.values()];
  }
}

/** Keystone's is_federated: the token carries the groups (and identity provider) of a federated sign-in. */
export function isFederated(t: TokenFacts): boolean {
  return t.federatedGroupIds !== undefined || t.identityProviderId !== undefined;
}

export function isScopedToken(t: TokenFacts): boolean {
  return t.systemScope !== undefined || t.domainId !== undefined || t.projectId !== undefined || t.trustId !== undefined;
}

/** Keystone's build_token_values. */
export function tokenValuesOf(t: ValidatedToken): TokenValues {
  return {
    expiresAt: Math.floor(secondsFromIso(t.expiresAt)),
    issuedAt: Math.floor(secondsFromIso(t.issuedAt)),
    auditId: t.auditId,
    auditChainId: t.parentAuditId,
    userId: t.userId,
    identityDomainId: t.user.domain.id,
    projectId: t.projectId ?? null,
    assignmentDomainId: t.domainId ?? t.project?.domain.id ?? null,
    roleIds: t.roles.map((r) => r.id),
    trustId: t.trustId ?? null,
    trustorId: t.trust?.trustorUserId ?? null,
    trusteeId: t.trust?.trusteeUserId ?? null,
    consumerId: t.oauthConsumerId ?? null,
    accessTokenId: t.accessTokenId ?? null,
  };
}

/** The policy caller of a validated token. */
export function callerOf(t: ValidatedToken, conf: KeystoneConfig): Caller {
  const caller: Caller = {
    userId: t.userId,
    userDomainId: t.user.domain.id,
    roles: t.roles,
    isAdminToken: false,
    isAdminProject: false,
    auditIds: t.parentAuditId ? [t.auditId, t.parentAuditId] : [t.auditId],
    methods: [...t.methods],
    tokenId: t.id,
  };
  // As Keystone's request context: is_admin_project is true unless an admin project is configured
  // (then only for that project), and never for a domain-scoped token.
  const { admin_project_name: apName, admin_project_domain_name: apDomain } = conf.resource;
  caller.isAdminProject = t.domain ? false : apName && apDomain ? t.isAdminProject === true : true;
  if (t.project) {
    caller.projectId = t.project.id;
    caller.projectDomainId = t.project.domain.id;
  }
  if (t.domain) caller.domainId = t.domain.id;
  if (t.systemScope) caller.systemScope = 'all';
  if (t.trust) {
    caller.trustId = t.trust.id;
    caller.trustorUserId = t.trust.trustorUserId;
    caller.trusteeUserId = t.trust.trusteeUserId;
    // Keystone's request context takes the user of the rendered token: the trustor when impersonating
    if (t.trust.impersonation && t.trust.trustor) {
      caller.userId = t.trust.trustor.id;
      caller.userDomainId = t.trust.trustor.domain.id;
    }
  }
  if (t.appCred) caller.applicationCredentialId = t.appCred.id;
  if (t.accessTokenId) caller.accessTokenId = t.accessTokenId;
  if (t.federatedGroupIds) caller.groupIds = [...t.federatedGroupIds];
  return caller;
}
