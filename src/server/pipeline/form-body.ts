/**
 * A body in application/x-www-form-urlencoded (UTF-8), for the one API that
 * takes it: the OAuth 2.0 token endpoint (RFC 6749 section 4.4.2). Keystone
 * lets such paths past its json_body stage and reads the form as werkzeug
 * does: the first value of each name, percent-escapes decoded as UTF-8
 * (invalid sequences replaced), and an empty form when the body is of any
 * other media type.
 */
import type { BodyParser } from './json-body.js';

export const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/** The form's fields, the first value of each name; {} when the body is not a form. */
export const formBody: BodyParser = (text, req) => {
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const fields: Record<string, string> = {};
  if (mediaType !== FORM_MEDIA_TYPE) return fields;
  for (const [name, value] of new URLSearchParams(text)) {
    if (!Object.hasOwn(fields, name)) Object.defineProperty(fields, name, { value, enumerable: true, writable: false });
  }
  return fields;
};
