/**
 * keystone-manage mapping_engine, ours beside Keystone 22's own (run as its module, as
 * test/helpers/keystone-python.ts does) on the same rules and input files: the same printed
 * mapped properties (Python's json.dumps layout, non-ASCII escaped), with --prefix and with
 * --engine-debug's "Using Rules/Assertion" sections, and a refusal for a bad input line or bad rules.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKeystoneManage } from '../helpers/keystone-process.js';
import { keystone22Unavailable } from '../helpers/keystone-python.js';

const KEYSTONE_MANAGE = ['-c', 'import sys; from keystone.cmd.manage import main; sys.argv[0] = "keystone-manage"; main()'];
const unavailable = keystone22Unavailable();

const RULES = {
  rules: [
    {
      local: [{ user: { name: '{0}', email: '{1}' } }, { group: { id: 'g-é' } }, { groups: '{2}', domain: { id: 'default' } }],
      remote: [{ type: 'ADFS_LOGIN' }, { type: 'ADFS_EMAIL' }, { type: 'ADFS_GROUPS' }],
    },
    {
      local: [{ projects: [{ name: 'proj-{0}', roles: [{ name: 'member' }] }] }],
      remote: [{ type: 'ADFS_LOGIN' }, { type: 'ADFS_ROLE', any_one_of: ['^staff.*'], regex: true }],
    },
  ],
};

describe(
  'keystone-manage mapping_engine beside Keystone 22’s',
  { skip: process.env.CI === 'true' ? false : (unavailable ?? false) },
  () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'keystone-mapping-engine-'));
      writeFileSync(join(dir, 'rules.json'), JSON.stringify(RULES));
      writeFileSync(join(dir, 'list.json'), JSON.stringify(RULES.rules));
      writeFileSync(
        join(dir, 'input.txt'),
        'ADFS_LOGIN: bøb\nADFS_EMAIL: bob@example.org\n\nADFS_GROUPS: ops;dev\nADFS_ROLE: staff-eu\nOTHER: ignored\n',
      );
      writeFileSync(join(dir, 'bad-input.txt'), 'ADFS_LOGIN bob\n');
      writeFileSync(join(dir, 'bad-rules.json'), JSON.stringify({ rules: [] }));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const theirs = (args: string[]) => {
      const r = spawnSync('/usr/bin/python3', [...KEYSTONE_MANAGE, '--config-file', '/dev/null', 'mapping_engine', ...args], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 120_000,
      });
      return { code: r.status, stdout: r.stdout };
    };
    const ours = async (args: string[]) => {
      const r = await runKeystoneManage(['mapping_engine', ...args], { env: { PWD: dir } });
      return { code: r.code, stdout: r.stdout, stderr: r.stderr };
    };
    const files = (...names: string[]) => names.map((n) => join(dir, n));

    test('the same mapped properties, for a rules object and for a bare list, with and without --prefix', async () => {
      for (const args of [
        ['--rules', ...files('rules.json'), '--input', ...files('input.txt')],
        ['--rules', ...files('list.json'), '--input', ...files('input.txt')],
        ['--rules', ...files('rules.json'), '--input', ...files('input.txt'), '--prefix', 'ADFS_'],
      ]) {
        const expected = theirs(args);
        assert.equal(expected.code, 0, expected.stdout);
        const got = await ours(args);
        assert.equal(got.code, 0, got.stderr);
        assert.equal(got.stdout, expected.stdout);
      }
    });

    test('--engine-debug prints the rules and the assertion first, as Keystone does', async () => {
      const args = ['--rules', ...files('rules.json'), '--input', ...files('input.txt'), '--engine-debug'];
      const got = await ours(args);
      assert.equal(got.code, 0, got.stderr);
      // Keystone's engine debug log lines go to its log (here stdout); the printed sections are compared
      const expected = theirs(args)
        .stdout.split('\n')
        .filter((line) => !/^\d{4}-\d\d-\d\d .* DEBUG /.test(line))
        .join('\n');
      assert.match(got.stdout, /^Using Rules:\n\{\n {2}"rules": \[/);
      assert.equal(got.stdout, expected);
    });

    test('a line without a colon and rules that fail the schema are refused', async () => {
      const badInput = await ours(['--rules', ...files('rules.json'), '--input', ...files('bad-input.txt')]);
      assert.equal(badInput.code, 1);
      assert.match(badInput.stderr, /at line 1 expected 'key: value' but found 'ADFS_LOGIN bob' see help for file format/);
      assert.equal(theirs(['--rules', ...files('rules.json'), '--input', ...files('bad-input.txt')]).code, 1);
      const badRules = await ours(['--rules', ...files('bad-rules.json'), '--input', ...files('input.txt')]);
      assert.equal(badRules.code, 1);
      assert.match(badRules.stderr, /\[\] is too short/);
      assert.notEqual(theirs(['--rules', ...files('bad-rules.json'), '--input', ...files('input.txt')]).code, 0);
    });
  },
);
