/**
 * The Fernet token provider: payloads packed and encrypted by
 * src/token/fernet/token-formatter.ts with the keys of [fernet_tokens]
 * key_repository (the primary key encrypts, every key decrypts), reloaded
 * when the repository changes (keystone-manage fernet_rotate on this node
 * or a key sync from another). Nothing is stored: a token validates on any
 * node that has the keys.
 */
import type { KeystoneConfig } from '../config/options.js';
import { UnexpectedError } from '../common/errors.js';
import { log } from '../log/logger.js';
import { KeyRepository } from './fernet/key-repository.js';
import { KeyRing } from './fernet/key-ring.js';
import { TokenFormatter } from './fernet/token-formatter.js';
import type { DecodedToken, TokenPayload } from './fernet/payloads.js';
import type { TokenFacts, TokenRecord } from './token-model.js';
import type { KeyBoundTokenProvider } from './token-provider.js';

export class FernetTokenProvider implements KeyBoundTokenProvider {
  readonly name = 'fernet' as const;
  private ring: KeyRing | null = null;
  private readonly formatter: TokenFormatter;

  constructor(private readonly conf: KeystoneConfig) {
    this.formatter = new TokenFormatter(() => this.keyRing().keys(), conf.auth.methods, {
      defaultDomainId: conf.identity.default_domain_id,
      maxTokenSize: conf.DEFAULT.max_token_size,
      logger: { info: (m) => log.info(m) },
    });
  }

  /** The key ring, opened on first use (so that a process can start before fernet_setup ran). */
  keyRing(): KeyRing {
    if (this.ring) return this.ring;
    const repository = new KeyRepository({
      path: this.conf.fernet_tokens.key_repository,
      maxActiveKeys: this.conf.fernet_tokens.max_active_keys,
      configGroup: 'fernet_tokens',
      logger: { warn: (m) => log.warn(m), info: (m) => log.info(m) },
    });
    try {
      this.ring = KeyRing.open(repository, {
        watch: true,
        onReload: (keys) => log.info(`fernet_tokens: reloaded ${keys.length} keys from ${repository.path}`),
        onError: (err) => log.error(`fernet_tokens: reloading keys failed, keeping the previous keys: ${err.message}`),
      });
    } catch (err) {
      log.error((err as Error).message);
      throw new UnexpectedError();
    }
    return this.ring;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- the provider interface is async; a throw becomes a rejection
  async issue(facts: TokenFacts): Promise<{ id: string; issuedAt: string; record: TokenRecord }> {
    const payload: TokenPayload = {
      userId: facts.userId,
      methods: facts.methods,
      expiresAt: facts.expiresAt,
      auditIds: facts.parentAuditId ? [facts.auditId, facts.parentAuditId] : [facts.auditId],
      projectId: facts.projectId,
      domainId: facts.domainId,
      systemScope: facts.systemScope,
      trustId: facts.trustId,
      appCredId: facts.appCredId,
      accessTokenId: facts.accessTokenId,
      federatedGroupIds: facts.federatedGroupIds,
      identityProviderId: facts.identityProviderId,
      protocolId: facts.protocolId,
      thumbprint: facts.oauth2Thumbprint,
    };
    const { token: id, decoded } = this.formatter.createDecoded(payload);
    return { id, issuedAt: decoded.issuedAt, record: recordOf(id, decoded) };
  }

  /** The keys in force (a new list whenever the repository's keys change; compared by identity). */
  currentKeys(): readonly unknown[] {
    return this.keyRing().keys();
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- as issue()
  async validate(id: string): Promise<TokenRecord> {
    return this.validateSync(id);
  }

  /** Decrypts and unpacks (no I/O): throws TokenNotFound as Keystone's provider does. */
  validateSync(id: string): TokenRecord {
    return recordOf(id, this.formatter.validate(id));
  }

  close(): void {
    this.ring?.close();
    this.ring = null;
  }
}

/** The facts a decoded token carries, as the token manager reads them. */
function recordOf(id: string, d: DecodedToken): TokenRecord {
  const record: TokenRecord = {
    id,
    userId: d.userId,
    methods: d.methods,
    auditId: d.auditIds[0] ?? '',
    parentAuditId: d.auditIds.length > 1 ? d.auditIds[d.auditIds.length - 1] : null,
    expiresAt: d.expiresAt,
    issuedAt: d.issuedAt,
  };
  if (d.systemScope !== undefined) record.systemScope = 'all';
  if (d.domainId !== undefined) record.domainId = d.domainId;
  if (d.projectId !== undefined) record.projectId = d.projectId;
  if (d.trustId !== undefined) record.trustId = d.trustId;
  if (d.appCredId !== undefined) record.appCredId = d.appCredId;
  if (d.accessTokenId !== undefined) record.accessTokenId = d.accessTokenId;
  if (d.federatedGroupIds !== undefined) record.federatedGroupIds = d.federatedGroupIds;
  if (d.identityProviderId !== undefined) record.identityProviderId = d.identityProviderId;
  if (d.protocolId !== undefined) record.protocolId = d.protocolId;
  if (d.thumbprint !== undefined) record.oauth2Thumbprint = d.thumbprint;
  return record;
}
