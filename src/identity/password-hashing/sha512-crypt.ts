/**
 * SHA-512-crypt ("$6$", Ulrich Drepper's SHA-crypt as glibc and passlib's
 * sha512_crypt compute it): Keystone verifies such hashes, which older
 * deployments wrote. The rounds loop yields to the event loop every few
 * thousand rounds (passlib's default is 656,000 rounds, about a second of
 * SHA-512 work here), so that a login never stalls the worker's other requests.
 */
import { createHash, hash } from 'node:crypto';

/** crypt's base64 alphabet (hash64), least significant 6 bits first. */
const HASH64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** The byte triples of the final digest, in the order SHA-512-crypt encodes them. */
const TRIPLES: readonly (readonly [number, number, number])[] = [
  [0, 21, 42],
  [22, 43, 1],
  [44, 2, 23],
  [3, 24, 45],
  [25, 46, 4],
  [47, 5, 26],
  [6, 27, 48],
  [28, 49, 7],
  [50, 8, 29],
  [9, 30, 51],
  [31, 52, 10],
  [53, 11, 32],
  [12, 33, 54],
  [34, 55, 13],
  [56, 14, 35],
  [15, 36, 57],
  [37, 58, 16],
  [59, 17, 38],
  [18, 39, 60],
  [40, 61, 19],
  [62, 20, 41],
];
const ROUNDS_PER_TICK = 8192;

export const SHA512_CRYPT_DEFAULT_ROUNDS = 5000;
export const SHA512_CRYPT_MIN_ROUNDS = 1000;
export const SHA512_CRYPT_MAX_ROUNDS = 999_999_999;
export const SHA512_CRYPT_MAX_SALT = 16;

const sha512 = (...parts: Buffer[]): Buffer => {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** `length` bytes of `block` repeated. */
function stretch(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += block.length) block.copy(out, i, 0, Math.min(block.length, length - i));
  return out;
}

function encode(digest: Buffer): string {
  let out = '';
  const put = (word: number, chars: number) => {
    for (let i = 0; i < chars; i++, word >>= 6) out += HASH64[word & 0x3f];
  };
  for (const [a, b, c] of TRIPLES) put((digest[a] << 16) | (digest[b] << 8) | digest[c], 4);
  put(digest[63], 2);
  return out;
}

/** The 86-character checksum of `secret` under `salt` (at most 16 characters) and `rounds`. */
export async function sha512CryptChecksum(secret: Buffer, salt: string, rounds: number): Promise<string> {
  const s = Buffer.from(salt, 'ascii');
  const alternate = sha512(secret, s, secret);
  const a = createHash('sha512').update(secret).update(s);
  a.update(stretch(alternate, secret.length));
  for (let n = secret.length; n > 0; n >>= 1) a.update(n & 1 ? alternate : secret);
  let c = a.digest();
  const p = stretch(sha512(...Array<Buffer>(secret.length).fill(secret)), secret.length);
  const sRepeated = stretch(sha512(...Array<Buffer>(16 + c[0]).fill(s)), s.length);
  // one scratch buffer and one-shot hashing per round: about three times faster than a Hash object per round
  const scratch = Buffer.alloc(2 * p.length + sRepeated.length + 64);
  for (let round = 0; round < rounds; round++) {
    let length = (round & 1 ? p : c).copy(scratch, 0);
    if (round % 3) length += sRepeated.copy(scratch, length);
    if (round % 7) length += p.copy(scratch, length);
    length += (round & 1 ? c : p).copy(scratch, length);
    c = hash('sha512', scratch.subarray(0, length), 'buffer');
    if (round % ROUNDS_PER_TICK === ROUNDS_PER_TICK - 1) await new Promise((resolve) => setImmediate(resolve));
  }
  return encode(c);
}
