/**
 * A SAML request sent through the browser with the HTTP-Redirect binding (SAML 2.0 bindings §3.4): the
 * message DEFLATEd (raw, RFC 1951), base64-encoded and URL-encoded as SAMLRequest, with RelayState; when
 * signed, SigAlg is added and Signature is the signature of the query string so far, in that order
 * (§3.4.4.1), so that the identity provider verifies the bytes it received.
 */
import { deflateRawSync } from 'node:zlib';
import { SP } from './saml-sp-names.js';

/** Signs the octets of the query string (base64 signature); RSA-SHA256. */
export type RedirectSigner = (octets: string) => string;

export function redirectBindingUrl(endpoint: string, requestXml: string, relayState: string, signer: RedirectSigner | null): string {
  let query = `SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(requestXml, 'utf8')).toString('base64'))}`;
  query += `&RelayState=${encodeURIComponent(relayState)}`;
  if (signer) {
    query += `&SigAlg=${encodeURIComponent(SP.rsaSha256)}`;
    query += `&Signature=${encodeURIComponent(signer(query))}`;
  }
  return `${endpoint}${endpoint.includes('?') ? '&' : '?'}${query}`;
}
