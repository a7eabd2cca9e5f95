/**
 * How the v2.0 API answers: JSON, or XML when the Accept header asks for
 * application/xml (Keystone's old serializer: namespace
 * http://docs.openstack.org/identity/api/v2.0, scalars as attributes, lists
 * as repeated child elements), and its entities in their v2 shapes.
 *
 * Attribute and element names come from the entities' keys, `extra` included,
 * which any admin may set: a key that is not an XML name (NCName: no colon,
 * no space, no markup, not starting with a digit) or is `xmlns` is left out
 * of the XML form (the JSON form still has it). Encoding such names (as
 * _x0020_ and the like) would give names no client looks for and that may
 * collide with real keys; left as they are they break the document or inject
 * markup; Keystone's own XML serializer never wrote them either (lxml refuses
 * them). Characters XML 1.0 cannot carry in a value become U+FFFD.
 */
import type { Request, Response } from 'express';
import type { Project } from '../../resource/resource-types.js';
import type { User } from '../../identity/identity-types.js';
import type { Role } from '../../assignment/assignment-types.js';

export const V2_XMLNS = 'http://docs.openstack.org/identity/api/v2.0';

const NOT_XML_CHAR =
  // eslint-disable-next-line no-control-regex -- the control characters are the point: XML 1.0 cannot carry them
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const escapeXml = (s: string) =>
  s.replace(NOT_XML_CHAR, '\ufffd').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** An attribute value: also its tabs and line ends, which a parser would otherwise normalize to spaces. */
const escapeAttr = (s: string) => escapeXml(s).replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');

const NAME_START =
  'A-Z_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c\u200d\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\u{10000}-\u{effff}';
// eslint-disable-next-line no-misleading-character-class -- XML's NameChar ranges, combining marks included, as code point ranges ('u')
const XML_NAME = new RegExp(`^[${NAME_START}][${NAME_START}\\-.0-9\u00b7\u0300-\u036f\u203f\u2040]*$`, 'u');

/** Whether `name` can be written as an element or attribute name (an NCName other than xmlns). */
export function isXmlName(name: string): boolean {
  return XML_NAME.test(name) && name !== 'xmlns';
}
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A list key's element name: tenants → tenant, serviceCatalog → service, endpoints_links → link… */
function itemName(listKey: string): string {
  if (listKey === 'serviceCatalog') return 'service';
  if (listKey.endsWith('_links') || listKey === 'links') return 'link';
  if (listKey.endsWith('ies')) return listKey.slice(0, -3) + 'y';
  if (listKey.endsWith('s')) return listKey.slice(0, -1);
  return listKey;
}

function element(name: string, value: unknown, root = false): string {
  const ns = root ? ` xmlns="${V2_XMLNS}"` : '';
  if (Array.isArray(value)) {
    const singular = itemName(name);
    const item = isXmlName(singular) ? singular : name;
    if (value.length === 0) return `<${name}${ns}/>`;
    return `<${name}${ns}>${value.map((v) => element(item, v)).join('')}</${name}>`;
  }
  if (!isObject(value)) {
    if (value === null || value === undefined) return `<${name}${ns}/>`;
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a JSON scalar here: objects and arrays took the branches around
    return `<${name}${ns}>${escapeXml(String(value))}</${name}>`;
  }
  let attrs = '';
  let children = '';
  for (const [key, v] of Object.entries(value)) {
    if (v === null || v === undefined || !isXmlName(key)) continue;
    if (typeof v === 'object') children += element(key, v);
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a JSON scalar: objects went to children
    else attrs += ` ${key}="${escapeAttr(String(v))}"`;
  }
  return children ? `<${name}${ns}${attrs}>${children}</${name}>` : `<${name}${ns}${attrs}/>`;
}

/** The body as Keystone's XML serializer wrote it: `{tenant: {...}}` → <tenant xmlns=".." id=".."/>. */
export function toXml(body: Record<string, unknown>): string {
  const [name, value] = Object.entries(body).at(0) ?? ['empty', null];
  return `<?xml version="1.0" encoding="UTF-8"?>\n${element(name, value, true)}`;
}

export function wantsXml(req: Request): boolean {
  const accept = (req.headers.accept ?? '').toLowerCase();
  return accept.includes('application/xml') && !accept.includes('application/json');
}

/** Sends `body` as JSON or XML, as the Accept header asks (nothing for HEAD). */
export function sendV2(req: Request, res: Response, status: number, body: Record<string, unknown>): void {
  const xml = wantsXml(req);
  const text = xml ? toXml(body) : JSON.stringify(body);
  res.status(status).setHeader('Content-Type', xml ? 'application/xml' : 'application/json');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  if (req.method === 'HEAD') res.end();
  else res.end(text);
}

export function sendNoContent(res: Response, status = 204): void {
  res.status(status).end();
}

export function tenantV2(p: Project): Record<string, unknown> {
  return { ...p.extra, id: p.id, name: p.name, description: p.description, enabled: p.enabled };
}

export function userV2(u: User): Record<string, unknown> {
  const body: Record<string, unknown> = { ...u.extra, id: u.id, name: u.name, username: u.name, enabled: u.enabled };
  if (u.defaultProjectId) body.tenantId = u.defaultProjectId;
  return body;
}

export function roleV2(r: Role): Record<string, unknown> {
  const body: Record<string, unknown> = { id: r.id, name: r.name };
  if (r.description) body.description = r.description;
  return body;
}
