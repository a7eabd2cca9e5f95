/**
 * What an OpenID Provider publishes about itself, fetched and kept per issuer: its discovery document
 * (`{issuer}/.well-known/openid-configuration`, whose `issuer` must be the issuer asked for, as OpenID
 * Connect Discovery 1.0 §4.3 requires) and its signing keys (the document's jwks_uri). The keys are
 * fetched again when a token names a key id not among them (key rotation): once per unknown kid in
 * 10 s, and at most 6 times a minute per issuer (a stream of made-up kids does not become a stream of
 * requests to the IdP), concurrent look-ups sharing one fetch. Only http(s) URLs are followed.
 */
import type { JsonWebKey } from 'node:crypto';

export interface ProviderMetadata {
  issuer: string;
  jwks_uri?: string;
  introspection_endpoint?: string;
  /** the authorization code flow (WebSSO) */
  authorization_endpoint?: string;
  token_endpoint?: string;
  userinfo_endpoint?: string;
  token_endpoint_auth_methods_supported?: string[];
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}

export type Jwk = JsonWebKey & { kid?: string; use?: string; alg?: string };

export class IssuerUnavailable extends Error {}

const METADATA_TTL_MS = 3600_000;
const KID_RETRY_MS = 10_000;
const REFRESH_WINDOW_MS = 60_000;
const REFRESHES_PER_WINDOW = 6;

interface IssuerEntry {
  metadata?: Promise<ProviderMetadata>;
  metadataAt: number;
  keys?: Promise<Jwk[]>;
  /** when the keys were fetched again for an unknown kid (the last minute's) */
  refreshes: number[];
  /** unknown kid → when it made the keys be fetched again */
  missedKids: Map<string, number>;
}

function httpUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}

export class IssuerMetadataCache {
  private readonly issuers = new Map<string, IssuerEntry>();

  constructor(private readonly timeoutSeconds: number) {}

  private entry(issuer: string): IssuerEntry {
    let e = this.issuers.get(issuer);
    if (!e) {
      if (this.issuers.size > 256) this.issuers.clear();
      e = { metadataAt: 0, refreshes: [], missedKids: new Map() };
      this.issuers.set(issuer, e);
    }
    return e;
  }

  private async getJson(url: string): Promise<Record<string, unknown>> {
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.timeoutSeconds * 1000),
        redirect: 'error',
      });
    } catch (err) {
      throw new IssuerUnavailable(`${url}: ${(err as Error).message}`);
    }
    if (!res.ok) throw new IssuerUnavailable(`${url}: HTTP ${res.status}`);
    const body = (await res.json().catch(() => null)) as unknown;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new IssuerUnavailable(`${url}: not a JSON object`);
    return body as Record<string, unknown>;
  }

  /** The issuer's discovery document (kept an hour; a failed fetch is not kept). */
  metadata(issuer: string): Promise<ProviderMetadata> {
    const e = this.entry(issuer);
    if (!e.metadata || Date.now() - e.metadataAt > METADATA_TTL_MS) {
      e.metadataAt = Date.now();
      const base = httpUrl(issuer);
      e.metadata = (async () => {
        if (!base) throw new IssuerUnavailable(`issuer ${issuer} is not an http(s) URL`);
        const doc = await this.getJson(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
        if (doc.issuer !== issuer) throw new IssuerUnavailable(`discovery of ${issuer} names another issuer`);
        return {
          issuer,
          jwks_uri: httpUrl(doc.jwks_uri),
          introspection_endpoint: httpUrl(doc.introspection_endpoint),
          authorization_endpoint: httpUrl(doc.authorization_endpoint),
          token_endpoint: httpUrl(doc.token_endpoint),
          userinfo_endpoint: httpUrl(doc.userinfo_endpoint),
          token_endpoint_auth_methods_supported: stringList(doc.token_endpoint_auth_methods_supported),
        };
      })();
      e.metadata.catch(() => {
        if (this.issuers.get(issuer) === e) e.metadata = undefined;
      });
    }
    return e.metadata;
  }

  /** Whether an unknown kid may make the keys be fetched again now (and counts it when so). */
  private mayRefresh(e: IssuerEntry, kid: string): boolean {
    const now = Date.now();
    e.refreshes = e.refreshes.filter((t) => now - t < REFRESH_WINDOW_MS);
    const last = e.missedKids.get(kid);
    if ((last !== undefined && now - last < KID_RETRY_MS) || e.refreshes.length >= REFRESHES_PER_WINDOW) return false;
    if (e.missedKids.size > 1000) e.missedKids.clear();
    e.missedKids.set(kid, now);
    e.refreshes.push(now);
    return true;
  }

  /** The issuer's signing keys; `unknownKid`: a token named a kid not among them (fetched again, within limits). */
  async keys(issuer: string, unknownKid?: string): Promise<Jwk[]> {
    const e = this.entry(issuer);
    if (!e.keys || (unknownKid !== undefined && this.mayRefresh(e, unknownKid))) {
      e.keys = (async () => {
        const { jwks_uri: jwksUri } = await this.metadata(issuer);
        if (!jwksUri) throw new IssuerUnavailable(`${issuer} publishes no jwks_uri`);
        const jwks = await this.getJson(jwksUri);
        return Array.isArray(jwks.keys) ? (jwks.keys.filter((k) => typeof k === 'object' && k !== null) as Jwk[]) : [];
      })();
      e.keys.catch(() => {
        if (this.issuers.get(issuer) === e) e.keys = undefined;
      });
    }
    return e.keys;
  }
}
