/**
 * Our mapping engine against Keystone 22's own (validate_mapping_structure + RuleProcessor, run by
 * /usr/bin/python3 through test/fixtures/keystone/mapping_engine.py): every mapping of Keystone's
 * mapping test fixtures against every assertion there, hand-written cases for each rule keyword and
 * schema error, and seeded random combinations of keywords. Without an importable keystone the test
 * skips, except with CI=true, where it fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { KeystoneError } from '../../src/common/errors.js';
import { validateMappingStructure } from '../../src/federation/mapping/mapping-schema.js';
import { RuleProcessor, type MappingRule } from '../../src/federation/mapping/rule-processor.js';
import { HAND_WRITTEN_CASES, randomCases, type MappingCase } from './mapping-cases.js';

const PYTHON = process.env.KEYSTONE_TEST_PYTHON ?? '/usr/bin/python3';
const TOOL = fileURLToPath(new URL('../../../test/fixtures/keystone/mapping_engine.py', import.meta.url));

const probe = spawnSync(PYTHON, ['-c', 'import keystone.federation.utils, keystone.tests.unit.mapping_fixtures'], { encoding: 'utf8' });
const available = probe.status === 0;
const skip: string | false =
  available || process.env.CI === 'true' ? false : `${PYTHON} cannot import keystone (set CI=true to make this a failure)`;

interface Outcome {
  ok: boolean;
  result?: unknown;
  code?: number;
  message?: string;
}

function keystone(cases: MappingCase[]): Outcome[] {
  const run = spawnSync(PYTHON, [TOOL], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Outcome[];
}

function ours(mappingCase: MappingCase): Outcome {
  try {
    validateMappingStructure(mappingCase.mapping);
    const rules = (mappingCase.mapping as { rules: MappingRule[] }).rules;
    return { ok: true, result: new RuleProcessor('mapping-under-test', rules).process(mappingCase.assertion) };
  } catch (error) {
    if (error instanceof KeystoneError) return { ok: false, code: error.code, message: error.message };
    return { ok: false, code: -1, message: `our engine crashed: ${String(error)}` };
  }
}

const byJson = (a: unknown, b: unknown) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);

/** A whitelisted list substituted whole into a string is the repr of a Python set's list: its items in any order. */
function setOrderFree(value: unknown): unknown {
  if (typeof value === 'string')
    return value.replace(/\[('[^']*'(?:, '[^']*')*)\]/g, (_whole, items: string) => `[${items.split(', ').sort().join(', ')}]`);
  if (Array.isArray(value)) return value.map(setOrderFree);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, setOrderFree(item)]));
  return value;
}

/**
 * Every 500 is the same generic answer to a client (Keystone's own errors and the Python exceptions it does not catch).
 * Keystone keeps group ids in a set and whitelists through sets: their order is not part of the answer. */
function comparable(outcome: Outcome): unknown {
  if (!outcome.ok) return outcome.code === 500 ? { code: 500 } : { code: outcome.code, message: setOrderFree(outcome.message) };
  const result = setOrderFree(outcome.result) as { user: Record<string, unknown>; group_ids: unknown[]; group_names: unknown[] };
  return { ...result, group_ids: [...result.group_ids].sort(byJson), group_names: [...result.group_names].sort(byJson) };
}

function compareAll(cases: MappingCase[]): void {
  const expected = keystone(cases);
  const differences = cases.flatMap((mappingCase, i) => {
    const theirs = comparable(expected[i]);
    const mine = comparable(ours(mappingCase));
    try {
      assert.deepStrictEqual(mine, theirs);
      return [];
    } catch {
      return [`${mappingCase.name}:\n  keystone: ${JSON.stringify(theirs)}\n  ours:     ${JSON.stringify(mine)}`];
    }
  });
  assert.equal(
    differences.length,
    0,
    `${String(differences.length)} of ${String(cases.length)} differ:\n${differences.slice(0, 15).join('\n')}`,
  );
}

test("every mapping of Keystone's mapping fixtures against every assertion there", { skip }, () => {
  const run = spawnSync(PYTHON, [TOOL, 'fixtures'], { encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.equal(run.status, 0, run.stderr);
  const fixtures = JSON.parse(run.stdout) as { mappings: Record<string, unknown>; assertions: Record<string, Record<string, unknown>> };
  const cases: MappingCase[] = [];
  for (const [mappingName, mapping] of Object.entries(fixtures.mappings)) {
    for (const [assertionName, assertion] of Object.entries(fixtures.assertions))
      cases.push({ name: `${mappingName} × ${assertionName}`, mapping, assertion });
  }
  assert.ok(cases.length > 1000);
  compareAll(cases);
});

test('each rule keyword and schema error, written out', { skip }, () => {
  compareAll(HAND_WRITTEN_CASES);
});

test('seeded random combinations of every keyword', { skip }, () => {
  compareAll(randomCases(20261204, 600));
});
