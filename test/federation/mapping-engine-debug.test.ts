/**
 * The mapping engine's log lines against Keystone 22's (what `keystone-manage mapping_engine --engine-debug`
 * prints): for every case of the mapping oracle's corpus — Keystone's mapping fixtures against its
 * assertions, each rule keyword written out, seeded random combinations — the same lines (level and
 * message, byte for byte) in the same order, from /usr/bin/python3 running Keystone's RuleProcessor
 * through test/fixtures/keystone/mapping_engine.py. Where Keystone is not deterministic — it keeps a
 * whitelist's or blacklist's values and the group ids in Python sets, whose order changes with the hash
 * seed — the items of the quoted lists (and the mapped group names) are compared in any order (in every line
 * of a case with a whitelist or blacklist, and in the mapped properties); a case whose lines still differ between two hash seeds is
 * left out, and there must be few. Then the command itself once, beside Keystone's own
 * keystone-manage on the same files: the same log lines (Keystone prints them among its stdout, ours go to
 * stderr) once timestamps, pids, color codes and Python's function and source-line suffix are taken off, and
 * the same stdout besides.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KeystoneError } from '../../src/common/errors.js';
import { validateMappingStructure } from '../../src/federation/mapping/mapping-schema.js';
import { RuleProcessor, type MappingRule } from '../../src/federation/mapping/rule-processor.js';
import { HAND_WRITTEN_CASES, randomCases, type MappingCase } from './mapping-cases.js';
import { KEYSTONE_MANAGE } from '../helpers/keystone-process.js';

const PYTHON = '/usr/bin/python3';
const TOOL = fileURLToPath(new URL('../../../test/fixtures/keystone/mapping_engine.py', import.meta.url));

const probe = spawnSync(PYTHON, ['-c', 'import keystone.federation.utils, keystone.tests.unit.mapping_fixtures'], { encoding: 'utf8' });
const skip: string | false =
  probe.status === 0 || process.env.CI === 'true' ? false : `${PYTHON} cannot import keystone (set CI=true to make this a failure)`;

type LogLine = [string, string];

function keystoneLogs(cases: MappingCase[], hashSeed: string): LogLine[][] {
  const run = spawnSync(PYTHON, [TOOL, 'debug'], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    maxBuffer: 1 << 27,
    env: { ...process.env, PYTHONHASHSEED: hashSeed },
  });
  assert.equal(run.status, 0, run.stderr);
  return (JSON.parse(run.stdout) as { log: LogLine[] }[]).map((answer) => answer.log);
}

/** A quoted list's items in sorted order (what a Python set's list is, whatever the seed); the group names too. */
function orderFree(message: string): string {
  return message
    .replace(/\[('[^']*'(?:, '[^']*')*)\]/g, (_whole, items: string) => `[${items.split(', ').sort().join(', ')}]`)
    .replace(
      /'group_names': \[(.*)\], 'projects'/,
      (_whole, items: string) =>
        `'group_names': [${items
          .split(/(?<=\}\}), (?=\{)/)
          .sort()
          .join(', ')}], 'projects'`,
    );
}

/** The lines as compared: set-derived lists order-free (see above). */
function comparable(mappingCase: MappingCase, lines: LogLine[]): LogLine[] {
  const sets = /"(whitelist|blacklist)"/.test(JSON.stringify(mappingCase.mapping));
  return lines.map(([level, message]) => [level, sets || message.startsWith('mapped_properties: ') ? orderFree(message) : message]);
}

function ourLog(mappingCase: MappingCase): LogLine[] {
  const lines: LogLine[] = [];
  try {
    validateMappingStructure(mappingCase.mapping);
    const rules = (mappingCase.mapping as { rules: MappingRule[] }).rules;
    new RuleProcessor('mapping-under-test', rules, {
      debug: (message) => lines.push(['DEBUG', message]),
      warning: (message) => lines.push(['WARNING', message]),
    }).process(mappingCase.assertion);
  } catch (error) {
    if (!(error instanceof KeystoneError)) lines.push(['CRASH', String(error)]);
  }
  return lines;
}

function corpus(): MappingCase[] {
  const run = spawnSync(PYTHON, [TOOL, 'fixtures'], { encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.equal(run.status, 0, run.stderr);
  const fixtures = JSON.parse(run.stdout) as { mappings: Record<string, unknown>; assertions: Record<string, Record<string, unknown>> };
  const cases: MappingCase[] = [...HAND_WRITTEN_CASES, ...randomCases(20261204, 600)];
  for (const [mappingName, mapping] of Object.entries(fixtures.mappings))
    for (const [assertionName, assertion] of Object.entries(fixtures.assertions))
      cases.push({ name: `${mappingName} × ${assertionName}`, mapping, assertion });
  return cases;
}

test("every case's engine log lines are Keystone 22's, byte for byte, where Keystone's are deterministic", { skip }, (t) => {
  const cases = corpus();
  const [first, second] = [keystoneLogs(cases, '1'), keystoneLogs(cases, '2')].map((logs) =>
    logs.map((lines, i) => comparable(cases[i], lines)),
  );
  let compared = 0;
  let lines = 0;
  const differences: string[] = [];
  cases.forEach((mappingCase, i) => {
    if (JSON.stringify(first[i]) !== JSON.stringify(second[i])) return;
    compared += 1;
    lines += first[i].length;
    const ours = comparable(mappingCase, ourLog(mappingCase));
    try {
      assert.deepEqual(ours, first[i]);
    } catch {
      const at = ours.findIndex((line, n) => JSON.stringify(line) !== JSON.stringify(first[i][n]));
      differences.push(
        `${mappingCase.name} (line ${String(at)}):\n  keystone: ${JSON.stringify(first[i][at])}\n  ours:     ${JSON.stringify(ours[at])}`,
      );
    }
  });
  assert.deepEqual(differences.slice(0, 10), [], `${String(differences.length)} of ${String(compared)} cases differ`);
  // the comparison covers nearly everything, and the engine said a lot
  assert.ok(compared > cases.length * 0.9, `only ${String(compared)} of ${String(cases.length)} cases are deterministic in Keystone`);
  assert.ok(lines > compared * 5, `${String(lines)} lines`);
  t.diagnostic(`${String(compared)} of ${String(cases.length)} cases compared, ${String(lines)} log lines`);
});

test('keystone-manage mapping_engine --engine-debug prints what Keystone 22 prints', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mapping-debug-'));
  try {
    const rules = join(dir, 'rules.json');
    const input = join(dir, 'input.txt');
    const conf = join(dir, 'keystone.conf');
    writeFileSync(
      rules,
      JSON.stringify({
        rules: [
          {
            local: [{ user: { name: '{0}' } }, { group: { id: '0cd5e9' } }],
            remote: [{ type: 'UserName' }, { type: 'orgPersonType', not_any_of: ['Contractor', 'Guest'] }],
          },
          { local: [{ groups: '{0}', domain: { id: 'abc' } }], remote: [{ type: 'orgPersonType', whitelist: ['Employee', 'Manager'] }] },
          { local: [{ user: { name: 'second' } }], remote: [{ type: 'UserName' }] },
        ],
      }),
    );
    writeFileSync(input, 'UserName: me\norgPersonType: Employee;Tester\n');
    writeFileSync(conf, '[DEFAULT]\n');
    const args = ['--config-file', conf, 'mapping_engine', '--rules', rules, '--input', input, '--engine-debug'];
    const theirs = spawnSync(
      PYTHON,
      ['-c', 'import sys; from keystone.cmd.manage import main; sys.argv[0] = "keystone-manage"; main()', ...args],
      { encoding: 'utf8' },
    );
    const ours = spawnSync(KEYSTONE_MANAGE, args, { encoding: 'utf8' });
    assert.equal(ours.status, 0, ours.stderr);
    assert.equal(theirs.status, 0, theirs.stderr);
    const logLine = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \d+ (?:DEBUG|WARNING) /;
    const normalize = (lines: string[]) =>
      lines.map(
        (line) =>
          line
            .replace(/^\S+ \S+ \d+ /, '<time> <pid> ')
            .replace(/ \w+ \/usr\/lib\/python3\/dist-packages\/keystone\/federation\/utils\.py:\d+/, '')
            .replace(/\x1b\[00m$/, ''), // eslint-disable-line no-control-regex
      );
    const theirLines = theirs.stdout.split('\n');
    const ourLogLines = ours.stderr.split('\n').filter((line) => logLine.test(line));
    assert.deepEqual(normalize(ourLogLines), normalize(theirLines.filter((line) => logLine.test(line))));
    assert.equal(ours.stdout, theirLines.filter((line) => !logLine.test(line)).join('\n'));
    assert.ok(ourLogLines.some((line) => line.endsWith(" DEBUG keystone.federation.utils [-] direct_maps: [['me']]")));
    assert.ok(ourLogLines.some((line) => line.endsWith(' WARNING keystone.federation.utils [-] Ignoring user name')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
