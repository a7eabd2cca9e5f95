/**
 * LDAP entries read as Keystone's LDAP driver reads them: the id from the
 * id attribute (from the DN's first RDN when multi-valued), the name and
 * other known attributes through the configured mapping and
 * *_additional_attribute_mapping, *_attribute_ignore honoured, entries
 * without a name skipped, and `enabled` through user_enabled_mask,
 * user_enabled_invert and user_enabled_default (emulation is the driver's:
 * it needs a search).
 */
import type { Entry } from 'ldapts';
import type { DriverGroup, DriverUser } from '../identity-driver.js';
import { firstRdn } from './ldap-filter.js';
import type { EntityMapping, LdapDriverSettings } from './ldap-settings.js';

/** The values of an attribute, matched case-insensitively (LDAP attribute names are). */
export function attributeValues(entry: Entry, attribute: string): string[] {
  const wanted = attribute.toLowerCase();
  for (const [key, value] of Object.entries(entry)) {
    if (key === 'dn' || key.toLowerCase() !== wanted) continue;
    const values = Array.isArray(value) ? value : [value];
    return values.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
  }
  return [];
}

/** The attributes to ask the server for. */
export function attributesOf(mapping: EntityMapping, extra: string[] = []): string[] {
  const wanted = [mapping.idAttribute, ...Object.values(mapping.attributes), ...Object.keys(mapping.additional), ...extra];
  return [...new Set(wanted)];
}

interface MappedEntity {
  id: string;
  dn: string;
  values: { name: string } & Partial<Record<string, string>>;
}

function mapEntry(entry: Entry, mapping: EntityMapping): MappedEntity | null {
  const ids = attributeValues(entry, mapping.idAttribute);
  let id = ids.at(0);
  if (ids.length > 1) {
    const rdn = firstRdn(entry.dn);
    if (rdn && rdn[0].toLowerCase() === mapping.idAttribute.toLowerCase()) id = rdn[1];
  }
  if (!id) return null;
  const values: Partial<Record<string, string>> = {};
  for (const [key, attribute] of Object.entries(mapping.attributes)) {
    if (mapping.ignore.includes(key)) continue;
    const first = attributeValues(entry, attribute).at(0);
    if (first !== undefined) values[key] = first;
  }
  for (const [attribute, key] of Object.entries(mapping.additional)) {
    if (mapping.ignore.includes(key) || key in values) continue;
    const first = attributeValues(entry, attribute).at(0);
    if (first !== undefined) values[key] = first;
  }
  if (!values.name || !values.name.trim()) return null;
  return { id, dn: entry.dn, values: values as MappedEntity['values'] };
}

/** Keystone's UserApi._ldap_res_to_model rule for `enabled` (emulation aside). */
export function enabledFromValue(raw: string | undefined, user: LdapDriverSettings['user']): boolean {
  if (user.enabledMask !== 0) {
    const parsed = parseInt(raw ?? user.enabledDefault, 10);
    const value = Number.isNaN(parsed) ? 0 : parsed;
    return (value & user.enabledMask) !== user.enabledMask;
  }
  if (user.ignore.includes('enabled')) return true;
  const enabled = (raw ?? user.enabledDefault).toLowerCase() === 'true';
  return user.enabledInvert ? !enabled : enabled;
}

export interface DirectoryUser extends DriverUser {
  dn: string;
}

export interface DirectoryGroup extends DriverGroup {
  dn: string;
}

const USER_KNOWN = new Set(['name', 'enabled', 'default_project_id', 'id', 'password', 'domain_id']);

export function userFromEntry(entry: Entry, settings: LdapDriverSettings): DirectoryUser | null {
  const mapped = mapEntry(entry, settings.user);
  if (!mapped) return null;
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(mapped.values)) if (!USER_KNOWN.has(key)) extra[key] = value;
  return {
    id: mapped.id,
    dn: mapped.dn,
    name: mapped.values.name,
    enabled: settings.user.enabledEmulation ? false : enabledFromValue(mapped.values.enabled, settings.user),
    defaultProjectId: mapped.values.default_project_id ?? null,
    extra,
  };
}

export function groupFromEntry(entry: Entry, settings: LdapDriverSettings): DirectoryGroup | null {
  const mapped = mapEntry(entry, settings.group);
  if (!mapped) return null;
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(mapped.values)) if (key !== 'name' && key !== 'description') extra[key] = value;
  return { id: mapped.id, dn: mapped.dn, name: mapped.values.name, description: mapped.values.description ?? null, extra };
}
