/**
 * repr(), str() and json.dumps (one line and indent=2) as /usr/bin/python3 itself writes them, over
 * values with quotes, backslashes, control and non-ASCII characters, nested lists and dicts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pyRepr, pyStr, pythonJsonDumps } from '../../src/common/python-text.js';

const VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -17,
  2.5,
  '',
  'plain',
  "it's",
  'say "hi"',
  'both \' and "',
  'back\\slash\nnew\tline\r\u0001\u007f\u00a0\u00ad',
  'bøb é ✓ 😀',
  [],
  {},
  ['a', 1, null, [true, { k: 'v' }]],
  { name: 'x', groups: ['ops', 'dev'], nested: { ké: [1, 2.25] } },
];

const SCRIPT = `
import json, sys
values = json.load(sys.stdin)
print(json.dumps([[repr(v), str(v), json.dumps(v), json.dumps(v, indent=2)] for v in values]))
`;

test("pyRepr, pyStr and pythonJsonDumps write what Python's repr, str and json.dumps write", (t) => {
  const r = spawnSync('/usr/bin/python3', ['-c', SCRIPT], { input: JSON.stringify(VALUES), encoding: 'utf8' });
  if (r.error) {
    t.skip(`/usr/bin/python3: ${r.error.message}`);
    return;
  }
  assert.equal(r.status, 0, r.stderr);
  const expected = JSON.parse(r.stdout) as [string, string, string, string][];
  VALUES.forEach((value, i) => {
    const [repr, str, dumps, indented] = expected[i];
    assert.equal(pyRepr(value), repr, `repr of ${JSON.stringify(value)}`);
    assert.equal(pyStr(value), str, `str of ${JSON.stringify(value)}`);
    assert.equal(pythonJsonDumps(value), dumps, `json.dumps of ${JSON.stringify(value)}`);
    assert.equal(pythonJsonDumps(value, 2), indented, `json.dumps indent=2 of ${JSON.stringify(value)}`);
  });
});
