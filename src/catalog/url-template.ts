/**
 * Endpoint URL templates as Keystone fills them: the URL, with "$(" read as
 * "%(", goes through Python's %-formatting against a whitelist of values
 * (tenant_id, project_id, user_id, public_bind_host, admin_bind_host,
 * compute_host, admin_port, public_port, public_endpoint). Anything Python
 * would refuse — an unknown key, a bare "%", an unsupported conversion — is
 * a malformed endpoint: refused at creation, left out of catalogs.
 */

export const WHITELISTED_PROPERTIES = [
  'tenant_id',
  'project_id',
  'user_id',
  'public_bind_host',
  'admin_bind_host',
  'compute_host',
  'admin_port',
  'public_port',
  'public_endpoint',
] as const;

export type TemplateValue = string | number;

/** The template could not be filled: why, as Keystone logs it. */
export class MalformedEndpoint extends Error {}

const CONVERSIONS = 'diouxXeEfFgGcrsa';

/**
 * Fills the template. Keys in `silentMissing` that have no value make the
 * result null (the endpoint is skipped quietly, as for project_id in a
 * domain-scoped catalog); any other failure throws MalformedEndpoint.
 */
export function fillUrlTemplate(
  template: string,
  values: Record<string, TemplateValue | undefined>,
  silentMissing: readonly string[] = [],
): string | null {
  const text = template.split('$(').join('%(');
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    i++;
    if (text[i] === '%') {
      out += '%';
      i++;
      continue;
    }
    if (text[i] !== '(') throw new MalformedEndpoint(`incomplete format in ${template}`);
    // %(key): Python allows nested parentheses in the key.
    let depth = 1;
    const start = ++i;
    while (i < text.length && depth > 0) {
      if (text[i] === '(') depth++;
      else if (text[i] === ')') depth--;
      i++;
    }
    if (depth > 0) throw new MalformedEndpoint(`incomplete format key in ${template}`);
    const key = text.slice(start, i - 1);
    // flags, width, precision, length modifier
    const spec = /^[#0\- +]*(\d+)?(\.\d+)?[hlL]?/.exec(text.slice(i)) as RegExpExecArray;
    i += spec[0].length;
    const conversion = text[i];
    if (conversion === undefined || !CONVERSIONS.includes(conversion))
      throw new MalformedEndpoint(`unsupported format character in ${template}`);
    i++;
    if (!(WHITELISTED_PROPERTIES as readonly string[]).includes(key)) throw new MalformedEndpoint(`unknown key ${key} in ${template}`);
    const value = values[key];
    if (value === undefined) {
      if (silentMissing.includes(key)) return null;
      throw new MalformedEndpoint(`unknown key ${key} in ${template}`);
    }
    if ('sra'.includes(conversion)) {
      out += conversion === 's' ? String(value) : `'${String(value)}'`;
    } else if (typeof value === 'number') {
      out += conversion === 'c' ? String.fromCharCode(value) : String(Math.trunc(value));
    } else {
      throw new MalformedEndpoint(`type error in ${template}`);
    }
  }
  return out;
}

/** Keystone's check_endpoint_url: every whitelisted key stands in as "". */
export function isValidEndpointUrl(url: string): boolean {
  const blanks = Object.fromEntries(WHITELISTED_PROPERTIES.map((k) => [k, '']));
  try {
    fillUrlTemplate(url, blanks);
    return true;
  } catch {
    return false;
  }
}
