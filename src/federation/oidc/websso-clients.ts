/**
 * This server's OpenID Connect clients at the identity providers, for WebSSO's authorization code flow
 * ([openid] websso_clients_file): a JSON object keyed by identity provider id (any of its protocols)
 * or "<idp id>/<protocol id>" (that protocol only, tried first):
 *
 *   { "keycloak": { "client_id": "keystone", "client_secret": "…",
 *                   "scope": "openid profile email",                 (default)
 *                   "issuer": "https://sso.example.com/realms/cloud", (default: the IdP's one http(s) remote id)
 *                   "token_endpoint_auth_method": "client_secret_basic" } } (or client_secret_post;
 *                                                                    default: basic unless the IdP offers only post)
 *
 * Read once at start-up (and again when the workers roll on SIGHUP); a malformed file stops the start.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../config/load-config.js';

export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post';

export interface WebSsoClient {
  clientId: string;
  clientSecret: string;
  scope: string;
  issuer: string | null;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod | null;
}

const FIELDS = new Set(['client_id', 'client_secret', 'scope', 'issuer', 'token_endpoint_auth_method']);
const AUTH_METHODS: readonly string[] = ['client_secret_basic', 'client_secret_post'];

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function clientOf(key: string, value: unknown, file: string): WebSsoClient {
  const where = `${file}: "${key}"`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${where} is not an object`);
  const entry = value as Record<string, unknown>;
  for (const field of Object.keys(entry)) if (!FIELDS.has(field)) throw new ConfigError(`${where} has an unknown field ${field}`);
  if (!nonEmptyString(entry.client_id) || !nonEmptyString(entry.client_secret))
    throw new ConfigError(`${where} needs client_id and client_secret (strings)`);
  const scope = entry.scope ?? 'openid profile email';
  if (!nonEmptyString(scope) || !scope.split(/\s+/).includes('openid')) throw new ConfigError(`${where}: scope must include openid`);
  if (entry.issuer !== undefined && !(nonEmptyString(entry.issuer) && /^https?:\/\//.test(entry.issuer)))
    throw new ConfigError(`${where}: issuer must be an http(s) URL`);
  const method = entry.token_endpoint_auth_method;
  if (method !== undefined && !(typeof method === 'string' && AUTH_METHODS.includes(method)))
    throw new ConfigError(`${where}: token_endpoint_auth_method must be one of ${AUTH_METHODS.join(', ')}`);
  return {
    clientId: entry.client_id,
    clientSecret: entry.client_secret,
    scope: scope.trim(),
    issuer: entry.issuer ?? null,
    tokenEndpointAuthMethod: (method as TokenEndpointAuthMethod | undefined) ?? null,
  };
}

export class WebSsoClients {
  private constructor(private readonly clients: ReadonlyMap<string, WebSsoClient>) {}

  static none(): WebSsoClients {
    return new WebSsoClients(new Map());
  }

  /** The clients of a parsed file's JSON text (`file` names it in errors). */
  static parse(text: string, file: string): WebSsoClients {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`${file}: not JSON (${(err as Error).message})`);
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ConfigError(`${file}: not a JSON object`);
    return new WebSsoClients(new Map(Object.entries(doc).map(([key, value]) => [key, clientOf(key, value, file)])));
  }

  /** [openid] websso_clients_file read (none configured: no client). */
  static load(file: string | null): WebSsoClients {
    if (!file) return WebSsoClients.none();
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`[openid] websso_clients_file ${file}: ${(err as Error).message}`);
    }
    return WebSsoClients.parse(text, file);
  }

  /** The client for a protocol of an identity provider, if WebSSO runs the code flow for it. */
  clientFor(idpId: string, protocolId: string): WebSsoClient | undefined {
    return this.clients.get(`${idpId}/${protocolId}`) ?? this.clients.get(idpId);
  }
}
