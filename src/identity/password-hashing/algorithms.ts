/**
 * The passlib hash formats Keystone stores, parsed and computed without
 * blocking the event loop (bcrypt's async API and node:crypto's async scrypt /
 * pbkdf2 all run on libuv's thread pool).
 *
 * Formats (facts from passlib 1.7.4's handlers):
 *  bcrypt         $2b$12$<22 salt><31 checksum>     idents $2$, $2a$, $2b$, $2y$ ($2x$ unsupported, as passlib)
 *  bcrypt_sha256  $bcrypt-sha256$v=2,t=2b,r=12$<22 salt>$<31 checksum>    key = b64(HMAC-SHA256(salt text, secret))
 *                 $bcrypt-sha256$2a,12$<22 salt>$<31 checksum> (v1)      key = b64(SHA256(secret))
 *  scrypt         $scrypt$ln=16,r=8,p=1$<b64s salt>$<b64s 32-byte checksum>
 *  pbkdf2_sha512  $pbkdf2-sha512$25000$<ab64 salt>$<ab64 64-byte checksum>
 */
import bcrypt from 'bcrypt';
import { createHash, createHmac, pbkdf2, randomBytes, scrypt, type ScryptOptions } from 'node:crypto';
import { promisify } from 'node:util';
import { ab64Decode, ab64Encode, b64sDecode, b64sEncode, BCRYPT64_CHARS } from './encoding.js';

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (password: Buffer, salt: Buffer, keylen: number, options: ScryptOptions) => Promise<Buffer>;

export type Algorithm = 'bcrypt' | 'bcrypt_sha256' | 'scrypt' | 'pbkdf2_sha512';
export const ALGORITHMS: readonly Algorithm[] = ['bcrypt', 'bcrypt_sha256', 'scrypt', 'pbkdf2_sha512'];

/** passlib's defaults (what Keystone gets when [identity] leaves the option unset). */
export const DEFAULT_ROUNDS: Record<Algorithm, number> = {
  bcrypt: 12,
  bcrypt_sha256: 12,
  scrypt: 16,
  pbkdf2_sha512: 25000,
};
export const ROUNDS_RANGE: Record<Algorithm, [number, number]> = {
  bcrypt: [4, 31],
  bcrypt_sha256: [4, 31],
  scrypt: [1, 31],
  pbkdf2_sha512: [1, 0xffffffff],
};
export const DEFAULT_SALT_SIZE = 16;
export const DEFAULT_SCRYPT_BLOCK_SIZE = 8;
export const DEFAULT_SCRYPT_PARALLELISM = 1;
const SCRYPT_CHECKSUM_SIZE = 32;
const PBKDF2_SHA512_CHECKSUM_SIZE = 64;
/** bcrypt only ever reads the first 72 bytes of the secret. */
export const BCRYPT_MAX_SECRET = 72;
/** The most memory a single scrypt verification may use (guards against absurd stored parameters). */
const SCRYPT_MAX_MEMORY = 2 * 1024 * 1024 * 1024;

export type ParsedHash =
  | { algorithm: 'bcrypt'; ident: '2' | '2a' | '2b' | '2y'; rounds: number; salt: string; checksum: string }
  | { algorithm: 'bcrypt_sha256'; version: 1 | 2; ident: '2a' | '2b'; rounds: number; salt: string; checksum: string }
  | { algorithm: 'scrypt'; rounds: number; blockSize: number; parallelism: number; salt: Buffer; checksum: Buffer }
  | { algorithm: 'pbkdf2_sha512'; rounds: number; salt: Buffer; checksum: Buffer };

const B64C = '[./A-Za-z0-9]';
const BCRYPT_RE = new RegExp(`^\\$(2|2a|2b|2y)\\$(\\d\\d)\\$(${B64C}{22})(${B64C}{31})$`);
const BCRYPT_SHA256_V2_RE = new RegExp(`^\\$bcrypt-sha256\\$v=(\\d+),t=(2b),r=(\\d{1,2})\\$(${B64C}{22})\\$(${B64C}{31})$`);
const BCRYPT_SHA256_V1_RE = new RegExp(`^\\$bcrypt-sha256\\$(2[ab]),(\\d{1,2})\\$(${B64C}{22})\\$(${B64C}{31})$`);
const SCRYPT_RE = /^\$scrypt\$ln=(\d{1,10}),r=(\d{1,10}),p=(\d{1,10})\$([A-Za-z0-9+/]*)\$([A-Za-z0-9+/]+)$/;
const PBKDF2_SHA512_RE = /^\$pbkdf2-sha512\$(\d{1,10})\$([A-Za-z0-9./+]*)\$([A-Za-z0-9./+]+)$/;

/** passlib refuses zero-padded rounds fields ("06"), except "0" itself. */
const zeroPadded = (field: string): boolean => field.length > 1 && field.startsWith('0');
const inRange = (algorithm: Algorithm, rounds: number): boolean =>
  rounds >= ROUNDS_RANGE[algorithm][0] && rounds <= ROUNDS_RANGE[algorithm][1];

/** The algorithm a stored hash was made with, by its prefix; null if none we support. */
export function identifyAlgorithm(stored: string): Algorithm | null {
  if (/^\$(2|2a|2b|2y)\$/.test(stored)) return 'bcrypt';
  if (stored.startsWith('$bcrypt-sha256$')) return 'bcrypt_sha256';
  if (stored.startsWith('$scrypt$')) return 'scrypt';
  if (stored.startsWith('$pbkdf2-sha512$')) return 'pbkdf2_sha512';
  return null;
}

/** Parses a stored hash; null when it is malformed or of an unsupported kind. */
export function parseHash(stored: string): ParsedHash | null {
  let m: RegExpExecArray | null;
  switch (identifyAlgorithm(stored)) {
    case 'bcrypt': {
      if (!(m = BCRYPT_RE.exec(stored))) return null;
      const rounds = Number(m[2]);
      if (!inRange('bcrypt', rounds)) return null;
      return { algorithm: 'bcrypt', ident: m[1] as '2' | '2a' | '2b' | '2y', rounds, salt: m[3], checksum: m[4] };
    }
    case 'bcrypt_sha256': {
      if ((m = BCRYPT_SHA256_V2_RE.exec(stored))) {
        if (Number(m[1]) !== 2 || zeroPadded(m[3])) return null;
        const rounds = Number(m[3]);
        // v2 keys the HMAC with the salt text: passlib refuses salts whose unused padding bits are set
        if (!inRange('bcrypt_sha256', rounds) || !'.Oeu'.includes(m[4].slice(-1))) return null;
        return { algorithm: 'bcrypt_sha256', version: 2, ident: '2b', rounds, salt: m[4], checksum: m[5] };
      }
      if ((m = BCRYPT_SHA256_V1_RE.exec(stored))) {
        if (zeroPadded(m[2])) return null;
        const rounds = Number(m[2]);
        if (!inRange('bcrypt_sha256', rounds)) return null;
        return { algorithm: 'bcrypt_sha256', version: 1, ident: m[1] as '2a' | '2b', rounds, salt: m[3], checksum: m[4] };
      }
      return null;
    }
    case 'scrypt': {
      if (!(m = SCRYPT_RE.exec(stored))) return null;
      const [rounds, blockSize, parallelism] = [Number(m[1]), Number(m[2]), Number(m[3])];
      const salt = b64sDecode(m[4]);
      const checksum = b64sDecode(m[5]);
      if (!salt || !checksum || checksum.length !== SCRYPT_CHECKSUM_SIZE) return null;
      if (!inRange('scrypt', rounds) || blockSize < 1 || parallelism < 1) return null;
      return { algorithm: 'scrypt', rounds, blockSize, parallelism, salt, checksum };
    }
    case 'pbkdf2_sha512': {
      if (!(m = PBKDF2_SHA512_RE.exec(stored)) || zeroPadded(m[1])) return null;
      const rounds = Number(m[1]);
      const salt = ab64Decode(m[2]);
      const checksum = ab64Decode(m[3]);
      if (!salt || !checksum || checksum.length !== PBKDF2_SHA512_CHECKSUM_SIZE || !inRange('pbkdf2_sha512', rounds)) return null;
      return { algorithm: 'pbkdf2_sha512', rounds, salt, checksum };
    }
    default:
      return null;
  }
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** bcrypt's checksum (the 31 characters after the salt) of `secret` under ident/rounds/salt. */
async function bcryptChecksum(secret: Buffer, ident: string, rounds: number, salt: string): Promise<string> {
  // $2y$ is the same algorithm as $2b$ (the native module only spells the latter)
  const nodeIdent = ident === '2y' ? '2b' : ident;
  const out = await bcrypt.hash(secret.subarray(0, BCRYPT_MAX_SECRET), `$${nodeIdent}$${pad2(rounds)}$${salt}`);
  return out.slice(-31);
}

/** bcrypt_sha256's pre-hash: 44 base64 characters, never a NUL, so bcrypt sees all of it. */
function bcryptSha256Key(secret: Buffer, version: 1 | 2, salt: string): Buffer {
  const digest =
    version === 1 ? createHash('sha256').update(secret).digest() : createHmac('sha256', Buffer.from(salt, 'ascii')).update(secret).digest();
  return Buffer.from(digest.toString('base64'), 'ascii');
}

function scryptMaxmem(n: number, r: number, p: number): number {
  // node counts 128·N·r for V plus 128·r·p for B; leave headroom for the rest
  return Math.min(SCRYPT_MAX_MEMORY, 128 * r * (n + p + 2) + 16 * 1024 * 1024);
}

/**
 * Recomputes the checksum of `secret` with the parameters of `parsed`, in the
 * same representation as parsed.checksum (string for bcrypt kinds, bytes otherwise).
 * Callers compare in constant time.
 */
export async function computeChecksum(parsed: ParsedHash, secret: Buffer): Promise<string | Buffer> {
  switch (parsed.algorithm) {
    case 'bcrypt':
      return bcryptChecksum(secret, parsed.ident, parsed.rounds, parsed.salt);
    case 'bcrypt_sha256':
      return bcryptChecksum(bcryptSha256Key(secret, parsed.version, parsed.salt), parsed.ident, parsed.rounds, parsed.salt);
    case 'scrypt': {
      const n = 2 ** parsed.rounds;
      return scryptAsync(secret, parsed.salt, SCRYPT_CHECKSUM_SIZE, {
        N: n,
        r: parsed.blockSize,
        p: parsed.parallelism,
        maxmem: scryptMaxmem(n, parsed.blockSize, parsed.parallelism),
      });
    }
    case 'pbkdf2_sha512':
      return pbkdf2Async(secret, parsed.salt, parsed.rounds, PBKDF2_SHA512_CHECKSUM_SIZE, 'sha512');
  }
}

export function formatHash(parsed: ParsedHash): string {
  switch (parsed.algorithm) {
    case 'bcrypt':
      return `$${parsed.ident}$${pad2(parsed.rounds)}$${parsed.salt}${parsed.checksum}`;
    case 'bcrypt_sha256':
      return parsed.version === 2
        ? `$bcrypt-sha256$v=2,t=2b,r=${parsed.rounds}$${parsed.salt}$${parsed.checksum}`
        : `$bcrypt-sha256$${parsed.ident},${parsed.rounds}$${parsed.salt}$${parsed.checksum}`;
    case 'scrypt':
      return `$scrypt$ln=${parsed.rounds},r=${parsed.blockSize},p=${parsed.parallelism}$${b64sEncode(parsed.salt)}$${b64sEncode(parsed.checksum)}`;
    case 'pbkdf2_sha512':
      return `$pbkdf2-sha512$${parsed.rounds}$${ab64Encode(parsed.salt)}$${ab64Encode(parsed.checksum)}`;
  }
}

/**
 * A fresh bcrypt salt: 16 random bytes in bcrypt's base64 (22 characters, the
 * last one with its unused bits clear, i.e. one of ".Oeu").
 */
export function bcryptSalt(): string {
  const bytes = randomBytes(16);
  let out = '';
  for (let i = 0; i < 16; i += 3) {
    const c1 = bytes[i];
    out += BCRYPT64_CHARS[c1 >> 2];
    if (i + 1 >= 16) {
      out += BCRYPT64_CHARS[(c1 & 0x03) << 4];
      break;
    }
    const c2 = bytes[i + 1];
    out += BCRYPT64_CHARS[((c1 & 0x03) << 4) | (c2 >> 4)];
    const c3 = bytes[i + 2];
    out += BCRYPT64_CHARS[((c2 & 0x0f) << 2) | (c3 >> 6)];
    out += BCRYPT64_CHARS[c3 & 0x3f];
  }
  return out;
}

/** Random characters in bcrypt's alphabet (for a dummy checksum nobody can match). */
export function randomBcrypt64(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += BCRYPT64_CHARS[b & 0x3f];
  return out;
}
