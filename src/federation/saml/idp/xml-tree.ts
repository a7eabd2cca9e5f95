/**
 * The identity provider's documents as plain trees, written out by
 * @xmldom/xmldom (which escapes text and attribute values). Every prefix a
 * tree uses is declared once on its root, in the order given, as Keystone's
 * documents declare theirs.
 */
import { DOMImplementation, XMLSerializer } from '@xmldom/xmldom';
import { NS } from './saml-names.js';

export interface XmlTree {
  /** `prefix:LocalName` */
  readonly name: string;
  /** in document order; a `prefix:name` attribute takes the prefix's namespace (`xmlns:p` declares one) */
  readonly attrs?: Readonly<Record<string, string>>;
  readonly children?: readonly XmlTree[];
  readonly text?: string;
}

/** A value XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/U+FFFF). */
export class UnrepresentableXmlText extends Error {
  constructor() {
    super('a value holds characters that XML 1.0 cannot represent');
    this.name = 'UnrepresentableXmlText';
  }
}

// XML 1.0's Char production, as UTF-16: tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD, and well-formed surrogate pairs.
const XML_CHARS = /^(?:[\t\n\r\u0020-\ud7ff\ue000-\ufffd]|[\ud800-\udbff][\udc00-\udfff])*$/;

function checked(value: string): string {
  if (!XML_CHARS.test(value)) throw new UnrepresentableXmlText();
  return value;
}

function namespaceOf(qualifiedName: string, namespaces: Readonly<Record<string, string>>): string | null {
  const colon = qualifiedName.indexOf(':');
  if (colon < 0) return null;
  const prefix = qualifiedName.slice(0, colon);
  if (prefix === 'xmlns') return 'http://www.w3.org/2000/xmlns/';
  if (prefix === 'xml') return NS.xml;
  const uri = namespaces[prefix];
  if (uri === undefined) throw new Error(`XML prefix ${prefix} is not declared`);
  return uri;
}

function build(doc: Document, tree: XmlTree, namespaces: Readonly<Record<string, string>>, into: Element): void {
  for (const [name, value] of Object.entries(tree.attrs ?? {})) {
    const ns = namespaceOf(name, namespaces);
    if (ns === null) into.setAttribute(name, checked(value));
    else into.setAttributeNS(ns, name, checked(value));
  }
  if (tree.text) into.appendChild(doc.createTextNode(checked(tree.text)));
  for (const child of tree.children ?? []) {
    const element = doc.createElementNS(namespaceOf(child.name, namespaces), child.name);
    into.appendChild(element);
    build(doc, child, namespaces, element);
  }
}

/** Empty elements closed with ` />` as ElementTree writes them (xmldom escapes `>` in text and attribute values, so `/>` occurs nowhere else). */
export function elementTreeStyle(xml: string): string {
  return xml.replaceAll('/>', ' />');
}

/** The document's text as Keystone's: no XML declaration; throws UnrepresentableXmlText for a value XML cannot carry. */
export function renderXml(root: XmlTree, namespaces: Readonly<Record<string, string>>): string {
  const doc = new DOMImplementation().createDocument(namespaceOf(root.name, namespaces), root.name, null);
  const element = doc.documentElement as Element;
  for (const [prefix, uri] of Object.entries(namespaces)) element.setAttributeNS('http://www.w3.org/2000/xmlns/', `xmlns:${prefix}`, uri);
  build(doc, root, namespaces, element);
  return elementTreeStyle(new XMLSerializer().serializeToString(doc));
}
