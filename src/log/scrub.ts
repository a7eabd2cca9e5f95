/**
 * The log scrubber: no password, token, secret or credential blob may reach
 * a log line, at any level. Two layers, both applied by the logger in
 * src/log/logger.ts (nothing to wire by hand):
 *
 *  - scrubValue(): structural, for the metadata object of a log call; the
 *    value of every key that names a secret (password, token, secret, blob,
 *    admin_token, X-Auth-Token, X-Subject-Token, …) becomes "***".
 *  - scrubText(): textual, run on the final formatted line (text or JSON),
 *    so even a secret interpolated into a message by mistake is masked:
 *    `key=value`, `key: value`, `"key": "value"`, `'key': 'value'`,
 *    `<key>value</key>`, URL user info (postgresql://u:PASS@h), Fernet
 *    tokens (gAAAAA…), JWS tokens (eyJ….….…) and 32-hex UUID tokens anywhere in free text.
 *
 * 32-hex strings are also how Keystone spells ids (users, projects, …). In
 * the access log (`{ access: true }`) a 32-hex path segment is kept, except
 * after /tokens/ (the v2.0 validate path, where it is a token); everywhere
 * else a 32-hex word is masked, as a UUID token would be. Use
 * `setHexTokenMasking(false)` only when [token] provider is fernet and ids in
 * messages matter more to you (configureLogging does not turn it off).
 */

export const MASK = '***';

/** A key whose value is secret: the whole key, case-insensitive, after normalising '-' to '_'. */
const SECRET_KEY =
  /(pass(word|wd|phrase)?|^pwd$|token|secret|blob|credential|private_?key|api_?key|access_?key|auth_?key|signature|^key$|connection|transport_url|authorization|cookie|totp|passcode)/i;
/** Keys that match SECRET_KEY but carry no secret and are useful in logs. */
const SAFE_KEYS = new Set([
  'token_id_hash',
  'password_expires_at',
  'password_expires_days',
  'password_regex',
  'password_regex_description',
  'token_type',
  'tokens_revoked',
  'credential_id',
  'credential_type',
  'credentials_count',
  'key_repository',
  'max_token_size',
  'password_hash_algorithm',
  'password_hash_rounds',
  'change_password_upon_first_use',
  'unique_last_password_count',
  'minimum_password_age',
  'max_password_length',
  'token_provider',
  'token_method',
]);

export function isSecretKey(key: string): boolean {
  const k = key.replace(/-/g, '_').toLowerCase();
  if (SAFE_KEYS.has(k)) return false;
  return SECRET_KEY.test(k);
}

let maskHexTokens = true;
/** Whether bare 32-hex words (UUID tokens) are masked in free text; on by default. */
export function setHexTokenMasking(on: boolean): void {
  maskHexTokens = on;
  repeatedAccessTexts.clear();
  repeatedTexts.clear();
}

/** Deep copy of `value` with the values of secret keys masked; strings are scrubbed as text. */
export function scrubValue(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[…]';
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return { name: value.name, message: scrubText(value.message), ...(value.stack ? { stack: scrubText(value.stack) } : {}) };
  }
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1));
  if (value instanceof Date) return value;
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] =
      isSecretKey(k) && v !== null && v !== undefined && v !== '' && typeof v !== 'boolean' && typeof v !== 'number'
        ? MASK
        : scrubValue(v, depth + 1);
  }
  return out;
}

// The key part of the textual patterns: any word containing a secret-ish stem.
const KEY_WORD = String.raw`[A-Za-z0-9_\-]*(?:pass(?:word|wd|phrase)?|token|secret|blob|credential|private_?key|api_?key|access_?key|auth_?key|signature|authorization|cookie|passcode)[A-Za-z0-9_\-]*`;

const QUOTED_DOUBLE = new RegExp(String.raw`("(${KEY_WORD})"\s*:\s*)"((?:[^"\\]|\\.)*)"`, 'gi');
const QUOTED_SINGLE = new RegExp(String.raw`('(${KEY_WORD})'\s*:\s*)'((?:[^'\\]|\\.)*)'`, 'gi');
// JSON with escaped quotes inside a string (a body logged as a JSON string): \"password\": \"x\"
const ESCAPED_QUOTED = new RegExp(String.raw`(\\"(${KEY_WORD})\\"\s*:\s*)\\"((?:[^"\\]|\\[^"])*)\\"`, 'gi');
// key=value / key: value / key = "value"
const KEY_VALUE = new RegExp(String.raw`(\b(${KEY_WORD})(?:\s*=\s*|:[ \t]*))(?:"[^"]*"|'[^']*'|[^\s,;&'"\])}>]+)`, 'gi');
const XML = new RegExp(String.raw`(<(${KEY_WORD})>)[^<]*(</)`, 'gi');
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@/\s]+(@)/gi;
// Fernet tokens and receipts: base64url of 0x80 …; Keystone strips the padding, others keep it.
const FERNET = /gAAAAA[A-Za-z0-9_-]{40,}={0,2}/g;
// JWS/JWT compact serializations (the jws token provider's tokens; OAuth 2.0 and OIDC tokens): header.payload.signature,
// masked whole (the payload is partly guessable; the signature must not survive on its own).
const JWS = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
// Any very long base64url run (a token of another format, a PKI token, an EC2 signature blob…)
const LONG_B64 = /(?<![A-Za-z0-9_\-+/])[A-Za-z0-9_\-+/]{160,}={0,2}/g;
const HEX32 = /(?<![0-9A-Fa-f-])[0-9a-fA-F]{32}(?![0-9A-Fa-f-])/g;
// In access lines: keep /<hex> id segments, except the token in /tokens/<hex>.
const HEX32_NOT_PATH = /(?<![0-9A-Fa-f/-])[0-9a-fA-F]{32}(?![0-9A-Fa-f-])/g;
const TOKEN_PATH = /(\/tokens\/)[^/\s?"]+/gi;

export interface ScrubTextOptions {
  /** an access-log line: 32-hex id path segments are kept (a token after /tokens/ is not) */
  access?: boolean;
}

/** Masks every secret-looking thing in a piece of text. Idempotent. */
export function scrubText(text: string, options: ScrubTextOptions = {}): string {
  if (!text) return text;
  let s = text
    .replace(QUOTED_DOUBLE, (_m, prefix: string, key: string, value: string) => (maskable(key, value) ? `${prefix}"${MASK}"` : _m))
    .replace(QUOTED_SINGLE, (_m, prefix: string, key: string, value: string) => (maskable(key, value) ? `${prefix}'${MASK}'` : _m))
    .replace(ESCAPED_QUOTED, (_m, prefix: string, key: string, value: string) => (maskable(key, value) ? `${prefix}\\"${MASK}\\"` : _m))
    .replace(XML, (_m, open: string, key: string, close: string) => (isSecretKey(key) ? `${open}${MASK}${close}` : _m))
    .replace(KEY_VALUE, (m, prefix: string, key: string) => {
      const value = m.slice(prefix.length);
      return maskable(key, value.replace(/^["']|["']$/g, '')) ? `${prefix}${MASK}` : m;
    })
    .replace(URL_USERINFO, `$1${MASK}$2`)
    .replace(FERNET, MASK)
    .replace(JWS, MASK)
    .replace(LONG_B64, MASK)
    .replace(TOKEN_PATH, (m, prefix: string) => (m.slice(prefix.length) === MASK ? m : `${prefix}${MASK}`));
  if (maskHexTokens) s = s.replace(options.access ? HEX32_NOT_PATH : HEX32, MASK);
  return s;
}

/** scrubText's answers for texts that repeat (access-log messages, and others), at most REPEATED_MAX of each. */
const repeatedAccessTexts = new Map<string, string>();
const repeatedTexts = new Map<string, string>();
const REPEATED_MAX = 256;

/**
 * scrubText for a text that repeats many times a second (an access line's message: request line, status,
 * size, referer, user agent): scrubbed once per distinct text.
 */
export function scrubRepeatedText(text: string, options: ScrubTextOptions = {}): string {
  const texts = options.access ? repeatedAccessTexts : repeatedTexts;
  let scrubbed = texts.get(text);
  if (scrubbed === undefined) {
    scrubbed = scrubText(text, options);
    if (texts.size >= REPEATED_MAX) texts.clear();
    texts.set(text, scrubbed);
  }
  return scrubbed;
}

function maskable(key: string, value: string): boolean {
  if (!isSecretKey(key)) return false;
  if (value === '' || value === MASK || value === '\\"') return false;
  // A JSON object or array opening ("password": {"user": …}) is handled by the inner keys.
  if (value === '{' || value === '[') return false;
  // booleans, null and numbers carry no secret (e.g. "token": null, caching: true)
  if (/^(true|false|null|none|-|\d{1,9})$/i.test(value)) return false;
  return true;
}
