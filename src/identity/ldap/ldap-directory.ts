/**
 * One directory as the LDAP driver reads it: searches on the pool's bound
 * connections ([ldap] page_size as the paged results control,
 * alias_dereferencing, chase_referrals with a hop limit and no URL visited
 * twice), end-user binds on connections of their own, each operation timed
 * and counted in the metrics under the domain's name.
 */
import { NoSuchObjectError, type Client, type Entry } from 'ldapts';
import { recordLdapError, recordLdapQuery } from '../../metrics/metrics.js';
import { isLdapResult, LdapConnectionPool, LdapUnreachable, type LdapConnectionSettings } from './ldap-connection-pool.js';

export type LdapScope = 'base' | 'one' | 'sub';

export interface LdapSearch {
  base: string;
  scope: LdapScope;
  filter: string;
  attributes: string[];
}

export interface LdapDirectorySettings {
  /** the metrics label: the domain's id, or `default` */
  label: string;
  pageSize: number;
  derefAliases: 'never' | 'search' | 'find' | 'always';
  chaseReferrals: boolean;
}

/** The result code of a base that is a referral (ldapts has no class for it). */
const LDAP_REFERRAL = 10;

/** Referrals followed from one search, at most: a loop of referrals ends here. */
const MAX_REFERRAL_HOPS = 3;

/** A search reference's URL: ldap[s]://host[:port]/base[??scope] (RFC 4516), base decoded. */
function parseReferral(reference: string): { url: string; base: string | null } | null {
  const match = /^(ldaps?:\/\/[^/]+)(?:\/([^?]*))?/i.exec(reference);
  if (!match) return null;
  return { url: match[1], base: match[2] ? decodeURIComponent(match[2]) : null };
}

export class LdapDirectory {
  private readonly pool: LdapConnectionPool;

  constructor(
    private readonly connection: LdapConnectionSettings,
    private readonly settings: LdapDirectorySettings,
  ) {
    this.pool = new LdapConnectionPool(connection);
  }

  private async timed<T>(operation: string, work: () => Promise<T>, countAsError: (err: unknown) => boolean): Promise<T> {
    const started = process.hrtime.bigint();
    try {
      return await work();
    } catch (err) {
      if (countAsError(err)) recordLdapError(this.settings.label, operation);
      throw err;
    } finally {
      recordLdapQuery(this.settings.label, operation, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /** The entries found; none when the base does not exist. */
  async search(request: LdapSearch): Promise<Entry[]> {
    return this.timed(
      'search',
      async () => {
        try {
          return await this.pool.withConnection((client) => this.searchOn(client, request, new Set(), 0));
        } catch (err) {
          if (err instanceof NoSuchObjectError || (isLdapResult(err) && err.code === LDAP_REFERRAL)) return [];
          throw err;
        }
      },
      () => true,
    );
  }

  private async searchOn(client: Client, request: LdapSearch, visited: Set<string>, hops: number): Promise<Entry[]> {
    const result = await client.search(request.base, {
      scope: request.scope,
      filter: request.filter,
      attributes: request.attributes,
      derefAliases: this.settings.derefAliases,
      paged: this.settings.pageSize > 0 ? { pageSize: this.settings.pageSize } : false,
    });
    const entries = [...result.searchEntries];
    if (!this.settings.chaseReferrals || hops >= MAX_REFERRAL_HOPS) return entries;
    for (const reference of result.searchReferences) {
      const target = parseReferral(reference);
      if (!target || visited.has(reference)) continue;
      visited.add(reference);
      const referred = new LdapConnectionPool({ ...this.connection, urls: [target.url], size: 1, retryMax: 1 });
      try {
        entries.push(
          ...(await referred.withConnection((c) => this.searchOn(c, { ...request, base: target.base ?? request.base }, visited, hops + 1))),
        );
      } catch (err) {
        if (!(err instanceof NoSuchObjectError || err instanceof LdapUnreachable)) throw err;
      } finally {
        await referred.close();
      }
    }
    return entries;
  }

  /**
   * Whether `password` binds as `dn`, on a connection of its own (never a
   * pooled one: the pool's stay bound as the service user). An empty
   * password is refused before the server sees it: LDAP takes it as an
   * unauthenticated bind, which succeeds.
   */
  async verifyPassword(dn: string, password: string): Promise<boolean> {
    if (!dn || !password) return false;
    return this.timed(
      'bind',
      async () => {
        const pool = new LdapConnectionPool({ ...this.connection, bindDn: null, bindPassword: null, size: 1 });
        try {
          const client = await pool.connect((c) => c.bind(dn, password));
          await client.unbind().catch(() => undefined);
          return true;
        } catch (err) {
          if (isLdapResult(err)) return false;
          throw err;
        }
      },
      (err) => !isLdapResult(err),
    );
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
