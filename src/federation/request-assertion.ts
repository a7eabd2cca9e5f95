/**
 * Where a federated sign-in's assertion comes from, two ways in:
 *
 *  1. a front proxy (Apache with mod_auth_openidc / mod_shib / mod_auth_mellon, nginx with an OIDC
 *     module) that authenticated the user and passes the attributes as request headers. Believed only
 *     from [federation] trusted_proxies: each header under the name it was sent with (OIDC-email) and
 *     under its CGI name (HTTP_OIDC_EMAIL), as Keystone reads the WSGI environment, REMOTE_USER from
 *     [external_auth] remote_user_header; only names starting with [federation] assertion_prefix. The
 *     IdP's identifier among them is checked by the mapped sign-in (remote_id_attribute).
 *  2. native OpenID Connect: `Authorization: Bearer <access token>`, validated here
 *     (oidc/access-token-validator.ts) against the IdP's remote ids as issuers; its claims become
 *     [openid] claim_prefix + name (lists joined with ';'), and the issuer is checked already.
 *
 * A bearer token is validated first, whoever sends it (a front proxy that passes the Authorization
 * header on is no reason to skip the check); any other request carries no assertion: 401.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Unauthorized } from '../common/errors.js';
import type { KeystoneConfig } from '../config/options.js';
import { addressInRanges, addressRanges } from '../config/address-ranges.js';
import type { Assertion } from './mapped-sign-in.js';
import { AccessTokenValidator, InvalidAccessToken } from './oidc/access-token-validator.js';
import { IssuerMetadataCache } from './oidc/issuer-metadata.js';
import { asymmetricAlgorithms } from './oidc/signed-jwt.js';

/** What is read of the HTTP request. */
export interface AssertionRequest {
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  remoteAddress: string | undefined;
}

export interface RequestAssertion {
  assertion: Assertion;
  /** the IdP's identity was proven against its remote ids already (native validation) */
  issuerChecked: boolean;
}

export type AssertionLog = (message: string) => void;

function claimValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(';');
  return JSON.stringify(value);
}

/** A validated token's claims as assertion attributes. */
export function claimsAssertion(claims: Record<string, unknown>, prefix: string): Assertion {
  const out: Assertion = {};
  for (const [name, value] of Object.entries(claims))
    if (value !== undefined && value !== null) out[`${prefix}${name}`] = claimValue(value);
  return out;
}

export class RequestAssertions {
  private readonly proxies: ReturnType<typeof addressRanges>;
  readonly validator: AccessTokenValidator;

  constructor(
    private readonly conf: KeystoneConfig,
    private readonly log: AssertionLog = () => undefined,
  ) {
    this.proxies = addressRanges(conf.federation.trusted_proxies);
    const o = conf.openid;
    this.validator = new AccessTokenValidator(
      {
        audience: o.audience,
        allowedAlgorithms: asymmetricAlgorithms(o.allowed_algorithms),
        clockSkewSeconds: o.clock_skew,
        introspectionClientId: o.introspection_client_id,
        introspectionClientSecret: o.introspection_client_secret,
        timeoutSeconds: o.http_timeout,
      },
      new IssuerMetadataCache(o.http_timeout),
    );
  }

  /** Whether the peer is a front proxy named in [federation] trusted_proxies. */
  fromTrustedProxy(req: AssertionRequest): boolean {
    return this.conf.federation.trusted_proxies.length > 0 && addressInRanges(this.proxies, req.remoteAddress);
  }

  /** The assertion of the request, for an IdP with these remote ids. */
  async assertionOf(req: AssertionRequest, remoteIds: readonly string[]): Promise<RequestAssertion> {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (bearer && this.validator.enabled) {
      try {
        const { claims } = await this.validator.validate(bearer[1], remoteIds);
        return { assertion: claimsAssertion(claims, this.conf.openid.claim_prefix), issuerChecked: true };
      } catch (err) {
        if (!(err instanceof InvalidAccessToken)) throw err;
        this.log(`bearer access token refused: ${err.message}`);
        throw new Unauthorized();
      }
    }
    if (this.fromTrustedProxy(req)) return { assertion: this.proxyAssertion(req), issuerChecked: false };
    throw new Unauthorized();
  }

  /** The front proxy's assertion (its headers as Keystone's WSGI environment), or null when the peer is not a trusted proxy. */
  trustedProxyAssertion(req: AssertionRequest): Assertion | null {
    return this.fromTrustedProxy(req) ? this.proxyAssertion(req) : null;
  }

  private proxyAssertion(req: AssertionRequest): Assertion {
    const prefix = this.conf.federation.assertion_prefix;
    const values = new Map<string, string[]>();
    const add = (name: string, value: string) => {
      if (!name.startsWith(prefix)) return;
      values.set(name, [...(values.get(name) ?? []), value]);
    };
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i];
      const value = Buffer.from(req.rawHeaders[i + 1], 'latin1').toString('utf8');
      add(name, value);
      add(`HTTP_${name.toUpperCase().replace(/-/g, '_')}`, value);
    }
    const remoteUser = req.headers[this.conf.external_auth.remote_user_header.toLowerCase()];
    if (typeof remoteUser === 'string') add('REMOTE_USER', remoteUser);
    const out: Assertion = {};
    for (const [name, list] of values) out[name] = list.join(';');
    return out;
  }
}
