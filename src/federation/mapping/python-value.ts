/**
 * Keystone's mapping engine leans on three Python behaviours that show up in its results and messages:
 * repr() (jsonschema's messages, list substitutions like "['a', 'b']"), ast.literal_eval() (a "groups"
 * value that is the repr of a list) and str.format() ("{0}" substitutions). This file holds the values
 * they work on; repr() and str() are src/common/python-text.ts', python-literal.ts and python-format.ts
 * hold the other two.
 */
export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

export function isPyDict(value: unknown): value is Record<string, PyValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
