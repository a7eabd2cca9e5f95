/**
 * Python's urllib.parse.quote(value) (safe='/'): the UTF-8 bytes of every character but letters,
 * digits, '_.-~' and '/' percent-encoded with upper-case hex. Keystone quotes a mapped federated
 * user's id with it before using it as the user's unique id.
 */
const SAFE = /[A-Za-z0-9_.\-~/]/;

export function pyQuote(value: string): string {
  let out = '';
  for (const ch of value) {
    if (SAFE.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
