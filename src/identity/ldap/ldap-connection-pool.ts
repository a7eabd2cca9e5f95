/**
 * Connections to one directory, as Keystone's ldappool: at most `size` open
 * at once, each bound as the service user ([ldap] user/password, or
 * anonymously), reused until `lifetimeMs` old, dropped when an operation on
 * it fails. A new connection tries the URLs in order (fail-over), each
 * attempt bounded by the connect timeout, `retryMax` rounds with
 * `retryDelayMs` between them. ldap:// connections upgrade with StartTLS when
 * `useTls`; ldaps:// ones verify the server as `tlsOptions` say.
 */
import type { ConnectionOptions } from 'node:tls';
import { Client } from 'ldapts';

export interface LdapConnectionSettings {
  urls: string[];
  /** null: anonymous */
  bindDn: string | null;
  bindPassword: string | null;
  useTls: boolean;
  tlsOptions: ConnectionOptions;
  connectTimeoutMs: number;
  operationTimeoutMs: number;
  size: number;
  lifetimeMs: number;
  retryMax: number;
  retryDelayMs: number;
}

/** No URL of the directory answered: Keystone's LDAPServerConnectionError. */
export class LdapUnreachable extends Error {
  constructor(
    readonly urls: string[],
    readonly reason: string,
  ) {
    super(`Unable to establish a connection to LDAP Server (${urls.join(',')}): ${reason}`);
  }
}

/** An error carrying an LDAP result code (ldapts' ResultCodeError): the server answered. */
export function isLdapResult(err: unknown): err is Error & { code: number } {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'number';
}

interface PooledConnection {
  client: Client;
  createdAt: number;
}

export class LdapConnectionPool {
  private readonly idle: PooledConnection[] = [];
  private open = 0;
  private readonly waiting: ((connection: PooledConnection | null) => void)[] = [];
  private closed = false;

  constructor(private readonly settings: LdapConnectionSettings) {}

  /**
   * A client on the first URL that accepts a connection (and StartTLS), on
   * which `firstStep` (a bind: ldapts connects lazily) succeeded. An LDAP
   * result (a wrong password) is thrown at once; a connection failure moves
   * on to the next URL.
   */
  async connect(firstStep: (client: Client) => Promise<void>): Promise<Client> {
    const { urls, retryMax, retryDelayMs } = this.settings;
    let lastError = 'no URL';
    for (let round = 0; round < Math.max(retryMax, 1); round++) {
      if (round > 0) await new Promise((r) => setTimeout(r, retryDelayMs));
      for (const url of urls) {
        const client = new Client({
          url,
          timeout: this.settings.operationTimeoutMs,
          connectTimeout: this.settings.connectTimeoutMs,
          // ldapts speaks TLS from the start whenever tlsOptions are given: only ldaps:// gets them
          ...(url.toLowerCase().startsWith('ldaps://') ? { tlsOptions: this.settings.tlsOptions } : {}),
          strictDN: false,
        });
        try {
          if (this.settings.useTls && url.toLowerCase().startsWith('ldap://')) await client.startTLS(this.settings.tlsOptions);
          await firstStep(client);
          return client;
        } catch (err) {
          await client.unbind().catch(() => undefined);
          if (isLdapResult(err)) throw err;
          lastError = (err as Error).message || String(err);
        }
      }
    }
    throw new LdapUnreachable(urls, lastError);
  }

  /** Bound as the service user, or anonymously (which also opens the socket). */
  private async newConnection(): Promise<PooledConnection> {
    const { bindDn, bindPassword } = this.settings;
    const client = await this.connect((c) => (bindDn && bindPassword ? c.bind(bindDn, bindPassword) : c.bind('', '')));
    return { client, createdAt: Date.now() };
  }

  private async acquire(): Promise<PooledConnection> {
    if (this.closed) throw new LdapUnreachable(this.settings.urls, 'the connection pool is closed');
    while (this.idle.length > 0) {
      const connection = this.idle.pop() as PooledConnection;
      if (Date.now() - connection.createdAt < this.settings.lifetimeMs && connection.client.isConnected) return connection;
      this.discard(connection);
    }
    if (this.open < this.settings.size) {
      this.open++;
      try {
        return await this.newConnection();
      } catch (err) {
        this.open--;
        this.handOver();
        throw err;
      }
    }
    const handed = await new Promise<PooledConnection | null>((resolve) => this.waiting.push(resolve));
    return handed ?? this.acquire();
  }

  private release(connection: PooledConnection, healthy: boolean): void {
    if (!healthy || this.closed) {
      this.discard(connection);
      return;
    }
    const waiter = this.waiting.shift();
    if (waiter) waiter(connection);
    else this.idle.push(connection);
  }

  private discard(connection: PooledConnection): void {
    this.open--;
    void connection.client.unbind().catch(() => undefined);
    this.handOver();
  }

  /** A slot was freed: the next waiter opens a connection of its own. */
  private handOver(): void {
    const waiter = this.waiting.shift();
    if (waiter) waiter(null);
  }

  /**
   * Runs `work` on a bound connection. A connection whose operation failed
   * for any reason but an LDAP result (a lost socket, a timeout) is dropped.
   */
  async withConnection<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const connection = await this.acquire();
    let healthy = true;
    try {
      return await work(connection.client);
    } catch (err) {
      healthy = isLdapResult(err) && connection.client.isConnected;
      throw err;
    } finally {
      this.release(connection, healthy);
    }
  }

  get openConnections(): number {
    return this.open;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter(null);
    await Promise.all(this.idle.splice(0).map((c) => c.client.unbind().catch(() => undefined)));
    this.open = 0;
  }
}
