/**
 * XML received from outside (SAML messages, identity provider metadata), parsed so that nothing in the
 * text can reach beyond it: a document type declaration (and so every entity, internal or external) is
 * refused before the parser sees the text, and any parse error or warning ends the parse.
 */
import { DOMParser } from '@xmldom/xmldom';

/** Why a received XML text was refused (never shown to the client). */
export class XmlRefused extends Error {
  override name = 'XmlRefused';
}

export function parseUntrustedXml(text: string): Document {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new XmlRefused('a document type declaration or entity is not accepted');
  const fail = (message: string) => {
    throw new XmlRefused(`not well-formed XML: ${message}`);
  };
  const doc = new DOMParser({ errorHandler: (_level: string, message: unknown) => fail(String(message)) }).parseFromString(
    text,
    'text/xml',
  );
  if (!doc.documentElement) throw new XmlRefused('no document element');
  return doc;
}

/** The child elements of `parent` with this namespace and local name. */
export function childElements(parent: Element | Document, namespace: string, localName: string): Element[] {
  const out: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as Element).namespaceURI === namespace && (node as Element).localName === localName)
      out.push(node as Element);
  }
  return out;
}

/** The one child element of `parent` with this name, or null when there is none; two are refused. */
export function onlyChild(parent: Element | Document, namespace: string, localName: string): Element | null {
  const found = childElements(parent, namespace, localName);
  if (found.length > 1) throw new XmlRefused(`more than one ${localName}`);
  return found[0] ?? null;
}

/** The text of an element (its text and CDATA children), trimmed. */
export function textOf(element: Element | null): string {
  return (element?.textContent ?? '').trim();
}
