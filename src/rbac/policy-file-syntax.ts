/**
 * The contents of a policy file, as oslo.policy reads them: JSON first,
 * else YAML (the `yaml` package). A policy file is one mapping of rule names
 * to rules; a rule is a string, a null, or a list of lists (the legacy list
 * form). Scalars stay strings (YAML's failsafe schema: `0` is the rule "0",
 * not a number); a plain empty value, `~` and `null` are null. Nested
 * mappings, anchors, aliases and tags are refused with the line they are on.
 */
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';

export class PolicyFileSyntaxError extends Error {}

const NULL_SCALARS = new Set(['', '~', 'null', 'Null', 'NULL']);

/** Our wording of the YAML errors a hand-edited policy file runs into; others keep the `yaml` package's. */
const YAML_ERROR_MESSAGES: Record<string, string> = {
  DUPLICATE_KEY: 'duplicate rule',
  MISSING_CHAR: 'unterminated quoted rule or flow sequence',
  BAD_INDENT: 'unexpected indentation',
  BAD_SCALAR_START: 'a plain rule cannot start with this character: quote it',
};

/** The rules of a policy file, in file order. */
export function parsePolicyFileContents(text: string, file = '<policy>'): Map<string, unknown> {
  let parsed: unknown;
  let isJson = true;
  try {
    parsed = JSON.parse(text);
  } catch {
    isJson = false;
  }
  if (isJson) {
    if (parsed === null) return new Map();
    if (typeof parsed !== 'object' || Array.isArray(parsed))
      throw new PolicyFileSyntaxError(`${file}: a policy file holds a mapping of rule names to rules`);
    return new Map(Object.entries(parsed));
  }
  return readYaml(text, file);
}

function readYaml(text: string, file: string): Map<string, unknown> {
  const lines = new LineCounter();
  const doc: Document = parseDocument(text, { schema: 'failsafe', uniqueKeys: true, lineCounter: lines });
  const [error] = doc.errors;
  if (error) {
    const line = error.linePos?.[0].line;
    const message = YAML_ERROR_MESSAGES[error.code] ?? error.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
    throw new PolicyFileSyntaxError(line === undefined ? `${file}: ${message}` : `${file}, line ${line}: ${message}`);
  }
  const fail = (node: Node | null | undefined, message: string): never => {
    const offset = node?.range?.[0];
    throw new PolicyFileSyntaxError(
      offset === undefined ? `${file}: ${message}` : `${file}, line ${lines.linePos(offset).line}: ${message}`,
    );
  };

  const rule = (node: unknown): unknown => {
    if (node === null || node === undefined) return null;
    if (isAlias(node) || ((isScalar(node) || isMap(node) || isSeq(node)) && (node.anchor !== undefined || node.tag !== undefined))) {
      return fail(node, 'anchors, aliases and tags are not supported in policy files');
    }
    if (isScalar(node)) {
      const value = String(node.value);
      return node.type === 'PLAIN' && NULL_SCALARS.has(value) ? null : value;
    }
    if (isSeq(node)) return node.items.map(rule);
    return fail(node as Node, 'nested mappings are not supported in policy files');
  };

  const out = new Map<string, unknown>();
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.type === 'PLAIN' && NULL_SCALARS.has(String(root.value)))) return out;
  if (!isMap(root)) return fail(root, 'a policy file holds a mapping of rule names to rules');
  for (const pair of root.items) {
    if (!isScalar(pair.key)) return fail(pair.key as Node, 'a rule name is a string');
    if (pair.key.anchor !== undefined || pair.key.tag !== undefined)
      fail(pair.key, 'anchors, aliases and tags are not supported in policy files');
    out.set(String(pair.key.value), rule(pair.value));
  }
  return out;
}
