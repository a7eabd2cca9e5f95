/**
 * The totp method (Keystone's TOTP plugin, usually paired with password in
 * multi_factor_auth_rules): 6-digit SHA-1 passcodes over 30-second steps
 * (RFC 6238), checked against every "totp" credential of the user, the
 * current step and one before it (Keystone's [totp]
 * included_previous_windows default). The credential secrets (base32) come
 * from credential_api (the blobs of the user's "totp" credentials).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Unauthorized } from '../../common/errors.js';
import type { ProviderApi } from '../../common/provider-api.js';
import { ExpectingToFind } from '../auth-errors.js';
import { lookupUser } from '../user-lookup.js';
import type { AuthMethod, AuthMethodResult } from './method.js';

const PERIOD = 30;
const DIGITS = 6;
const PREVIOUS_WINDOWS = 1;

function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.replace(/=+$/, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const i = alphabet.indexOf(ch);
    if (i < 0) throw new TypeError('not base32');
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function totpPasscode(secretBase32: string, atSeconds: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atSeconds / PERIOD)));
  const mac = createHmac('sha1', base32Decode(secretBase32)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** DIGITS;
  return String(code).padStart(DIGITS, '0');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const totpMethod: AuthMethod = {
  name: 'totp',
  async authenticate(payload: unknown, _request, providers: ProviderApi): Promise<AuthMethodResult> {
    if (!isObject(payload) || !('user' in payload)) throw new ExpectingToFind('user', 'totp');
    const passcode = isObject(payload.user) ? payload.user.passcode : undefined;
    const user = await lookupUser(providers, payload.user, 'totp');
    if (!user || typeof passcode !== 'string') throw new Unauthorized();
    const now = Date.now() / 1000;
    const given = Buffer.from(passcode);
    for (const secret of await providers.credential_api.totpSecretsForUser(user.id)) {
      for (let w = 0; w <= PREVIOUS_WINDOWS; w++) {
        let expected: Buffer;
        try {
          expected = Buffer.from(totpPasscode(secret, now - w * PERIOD));
        } catch {
          continue;
        }
        if (expected.length === given.length && timingSafeEqual(expected, given)) return { userId: user.id };
      }
    }
    throw new Unauthorized();
  },
};
