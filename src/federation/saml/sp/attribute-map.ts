/**
 * The names under which SAML attributes reach the mapping, as mod_shib exposes them to Keystone: with a
 * Shibboleth attribute-map.xml ([saml2] attribute_map_file), an attribute named in it under its id and
 * the others dropped; without one, every attribute under its SAML Name. Several values are joined with
 * ';' (a ';' inside a value escaped as '\;'), as mod_shib joins them.
 */
import { readFileSync } from 'node:fs';
import { childElements, parseUntrustedXml } from '../xml/secure-xml.js';
import { SP } from './saml-sp-names.js';

export type AttributeIds = (name: string) => string | null;

export function attributeIds(attributeMapFile: string | null): AttributeIds {
  if (!attributeMapFile) return (name) => name;
  const root = parseUntrustedXml(readFileSync(attributeMapFile, 'utf8')).documentElement as Element;
  const ids = new Map<string, string>();
  for (const attribute of childElements(root, SP.attributeMap, 'Attribute')) {
    const name = attribute.getAttribute('name');
    const id = attribute.getAttribute('id');
    if (name && id && !ids.has(name)) ids.set(name, id);
  }
  return (name) => ids.get(name) ?? null;
}

export function joinedValues(values: readonly string[]): string {
  return values.map((v) => v.replaceAll(';', '\\;')).join(';');
}
