/**
 * Python's json.dumps(value, indent=2) text (oslo's jsonutils.dumps, as keystone-manage mapping_engine prints
 * it): JSON.stringify's layout, with every character outside printable ASCII escaped as \uXXXX (ensure_ascii).
 */
export function pythonJsonDumps(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
