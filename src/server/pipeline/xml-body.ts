/**
 * The xml_body stage of Keystone's old pipeline, for the v2.0 API: a body
 * in application/xml becomes the JSON body a v2 client would have sent
 * (the root element as the top key; attributes and child elements as
 * fields, "true"/"false" as booleans; namespaces dropped). Entities are
 * never expanded and any DOCTYPE is refused; malformed XML is a 400, as
 * malformed JSON is.
 */
import { XMLParser } from 'fast-xml-parser';
import { SyntaxValidator } from 'fast-xml-validator';
import { ValidationError } from '../../common/errors.js';
import type { BodyParser } from './json-body.js';

const DOCTYPE = /<!DOCTYPE|<!ENTITY/i;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'xmlns' || key.startsWith('xmlns:')) continue;
    out[key] = clean(v);
  }
  // an element with only text and no attributes or children: its text
  const keys = Object.keys(out);
  if (keys.length === 1 && keys[0] === '#text') return out['#text'];
  return out;
}

export const xmlBody: BodyParser = (text, req) => {
  // only the v2.0 API ever took XML
  if (!req.path.startsWith('/v2.0')) throw new ValidationError('Expecting to find application/json in Content-Type header.');
  if (DOCTYPE.test(text)) throw new ValidationError('Expecting to find valid XML in request body: a DOCTYPE is not allowed.');
  let parsed: unknown;
  try {
    SyntaxValidator.validate(text);
    parsed = parser.parse(text);
  } catch {
    throw new ValidationError('Expecting to find valid XML in request body.');
  }
  const body = clean(parsed);
  if (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).length !== 1) {
    throw new ValidationError('Expecting to find valid XML in request body.');
  }
  // <tenant/> with nothing inside: an empty entity
  const [root, inner] = Object.entries(body as Record<string, unknown>)[0];
  return { [root]: inner === '' ? {} : inner };
};
