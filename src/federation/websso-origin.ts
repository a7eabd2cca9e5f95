/**
 * Where a WebSSO sign-in may send its token (Keystone's _get_sso_origin_host): the `origin` query
 * parameter, URL-unquoted once more (Python's unquote_plus over the already decoded value, as Keystone
 * does), must be one of [federation] trusted_dashboard with each trusted URL's scheme and host
 * lower-cased (the origin itself is not). Missing: 400; not trusted: 401.
 */
import { ValidationError, type Unauthorized } from '../common/errors.js';
import { securityUnauthorized } from '../auth/auth-errors.js';

/** Python's urllib.parse.unquote_plus: '+' is a space, %XX sequences are UTF-8 bytes (invalid ones replaced). */
export function unquotePlus(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  if (!spaced.includes('%')) return spaced;
  const bytes: number[] = [];
  for (let i = 0; i < spaced.length;) {
    const hex = spaced.slice(i + 1, i + 3);
    if (spaced[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 3;
    } else {
      const char = String.fromCodePoint(spaced.codePointAt(i) ?? 0);
      bytes.push(...Buffer.from(char, 'utf8'));
      i += char.length;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Keystone's lower_case_hostname: urlparse → netloc (and scheme, as urlparse gives it) lower-cased → urlunparse. */
export function lowerCaseHostname(url: string): string {
  const m = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/s.exec(url);
  if (!m) return url;
  const [, scheme, netloc, path, query, fragment] = m;
  let out = scheme ? `${scheme.toLowerCase()}:` : '';
  if (netloc !== undefined && (netloc !== '' || scheme)) out += `//${netloc.toLowerCase()}`;
  out += path;
  if (query) out += `?${query}`;
  if (fragment) out += `#${fragment}`;
  return out;
}

export class TrustedDashboards {
  private readonly trusted: readonly string[];

  constructor(
    trustedDashboards: readonly string[],
    private readonly insecureDebug: boolean,
  ) {
    this.trusted = trustedDashboards.map(lowerCaseHostname);
  }

  private untrusted(host: string): Unauthorized {
    return securityUnauthorized(this.insecureDebug, `${host} is not a trusted dashboard host`);
  }

  /** The dashboard of the request's `origin` (its first value in `query`, the raw query string). */
  originOf(query: string): string {
    const origin = new URLSearchParams(query).get('origin');
    if (!origin) throw new ValidationError('Request must have an origin query parameter', false);
    return this.check(unquotePlus(origin));
  }

  /** `host` itself, when trusted (still so at the end of a sign-in that began earlier). */
  check(host: string): string {
    if (!this.trusted.includes(host)) throw this.untrusted(host);
    return host;
  }
}
