/**
 * passlib's base64 flavours (facts from passlib.utils.binary):
 *  - "b64s": standard alphabet (+/), padding and whitespace stripped (scrypt);
 *  - "ab64": like b64s but '+' written as '.' (pbkdf2_sha*); decoding accepts either.
 */
export function b64sEncode(data: Buffer): string {
  return data.toString('base64').replace(/=+$/, '');
}

/** Strict decode; returns null on malformed input (length ≡ 1 mod 4 or bad characters). */
export function b64sDecode(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]*$/.test(text) || text.length % 4 === 1) return null;
  return Buffer.from(text, 'base64');
}

export function ab64Encode(data: Buffer): string {
  return b64sEncode(data).replace(/\+/g, '.');
}

export function ab64Decode(text: string): Buffer | null {
  return b64sDecode(text.replace(/\./g, '+'));
}

/** bcrypt's own base64 alphabet, used for salts and checksums. */
export const BCRYPT64_CHARS = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
