/**
 * Text that goes into LDAP filters and DNs, escaped: filter values as
 * RFC 4515 asks (`*`, `(`, `)`, `\` and NUL as \2a \28 \29 \5c \00), so that a
 * user name or list filter is matched literally and never changes the
 * filter's shape; and the first RDN of a DN read back (RFC 4514 escapes).
 */

/** RFC 4515 §3: the assertion value of a filter item. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (ch) => `\\${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** `(attr=value)` with the value escaped. */
export function equalityFilter(attribute: string, value: string): string {
  return `(${attribute}=${escapeFilterValue(value)})`;
}

/** `(&a b …)` of the parts that are set; a part without its parentheses gets them. */
export function andFilter(...parts: (string | null | undefined)[]): string {
  const present = parts.filter((p): p is string => !!p && p.length > 0).map((p) => (p.startsWith('(') ? p : `(${p})`));
  return `(&${present.join('')})`;
}

/** Active Directory's LDAP_MATCHING_RULE_IN_CHAIN: membership through nested groups. */
export const LDAP_MATCHING_RULE_IN_CHAIN = '1.2.840.113556.1.4.1941';

/** `(attr:1.2.840.113556.1.4.1941:=dn)`: the groups a DN is in, nested ones included. */
export function inChainFilter(attribute: string, dn: string): string {
  return `(${attribute}:${LDAP_MATCHING_RULE_IN_CHAIN}:=${escapeFilterValue(dn)})`;
}

/** The attribute type and value of a DN's first RDN (`cn=a\,b,ou=x` → ['cn', 'a,b']), or null. */
export function firstRdn(dn: string): [string, string] | null {
  const eq = dn.indexOf('=');
  if (eq <= 0) return null;
  const type = dn.slice(0, eq).trim();
  let value = '';
  for (let i = eq + 1; i < dn.length; i++) {
    const ch = dn[i];
    if (ch === '\\' && i + 1 < dn.length) {
      const hex = dn.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        // a run of \XX pairs is UTF-8
        const bytes: number[] = [];
        let j = i;
        while (j + 2 < dn.length + 1 && dn[j] === '\\' && /^[0-9a-fA-F]{2}$/.test(dn.slice(j + 1, j + 3))) {
          bytes.push(parseInt(dn.slice(j + 1, j + 3), 16));
          j += 3;
        }
        value += Buffer.from(bytes).toString('utf8');
        i = j - 1;
      } else {
        value += dn[i + 1];
        i++;
      }
    } else if (ch === ',' || ch === '+' || ch === ';') {
      break;
    } else {
      value += ch;
    }
  }
  return [type, value.trim()];
}

/** DNs compared as LDAP does for our purposes: case and spaces around separators do not matter. */
export function normalizeDn(dn: string): string {
  return dn
    .split(/(?<!\\),/)
    .map((rdn) =>
      rdn
        .trim()
        .toLowerCase()
        .replace(/\s*=\s*/, '='),
    )
    .join(',');
}
