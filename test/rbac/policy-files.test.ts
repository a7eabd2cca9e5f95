/**
 * policy.yaml / policy.json over the defaults: overrides, rules of
 * policy.d, the default rule, deprecated rules, re-reading changed files,
 * where relative names are found, the YAML policy files are written in, and
 * `keystone-manage policy_generator`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PolicyEnforcer } from '../../src/rbac/policy-enforcer.js';
import { parsePolicyFileContents, PolicyFileSyntaxError } from '../../src/rbac/policy-file-syntax.js';
import { configSearchDirs, resolvePolicyLocations } from '../../src/rbac/policy-location.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { RuleDefault } from '../../src/rbac/rule-default.js';

const ADMIN = { user_id: 'a', roles: ['admin'], system_scope: 'all', system: 'all' };
const MEMBER = { user_id: 'm', roles: ['member'], project_id: 'p' };
const DEFAULTS: RuleDefault[] = [
  { name: 'admin_required', check: 'role:admin' },
  { name: 'identity:get_thing', check: 'rule:admin_required', scopeTypes: ['system'] },
  { name: 'identity:renamed', check: 'role:admin and system_scope:all', deprecated: { check: 'role:member', since: 'S' } },
];

describe('policy files over the defaults', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'keystone-policy-files-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const enforcer = (file: string, extra: object = {}) =>
    new PolicyEnforcer({
      defaults: DEFAULTS,
      policyFile: file,
      policyDirs: [join(dir, 'policy.d')],
      searchDirs: [dir],
      recheckIntervalMs: 0,
      ...extra,
    });

  test('no file: the defaults, deprecated rules OR-ed in, unknown rules denied', () => {
    const e = enforcer('absent.yaml');
    assert.equal(e.enforce('identity:get_thing', {}, ADMIN), true);
    assert.equal(e.enforce('identity:get_thing', {}, MEMBER), false);
    assert.equal(e.enforce('identity:renamed', {}, MEMBER), true, 'the deprecated rule still allows');
    assert.equal(enforcer('absent.yaml', { enforceNewDefaults: true }).enforce('identity:renamed', {}, MEMBER), false);
    assert.equal(e.enforce('identity:unknown', {}, ADMIN), false);
  });

  test('a YAML file (relative to the search path) overrides by name; its default rule covers unknown names', () => {
    writeFileSync(
      join(dir, 'policy.yaml'),
      ["# an operator's policy", '"identity:get_thing": "role:member"', 'identity:renamed: role:admin', "default: 'role:member'", ''].join(
        '\n',
      ),
    );
    const e = enforcer('policy.yaml');
    assert.equal(e.enforce('identity:get_thing', {}, MEMBER), true);
    assert.equal(e.enforce('identity:get_thing', {}, ADMIN), false);
    assert.equal(e.enforce('identity:renamed', {}, MEMBER), false, 'overridden: no deprecated fallback');
    assert.equal(e.enforce('identity:unknown', {}, MEMBER), true, 'the default rule');
    assert.equal(e.enforce('identity:unknown', {}, ADMIN), false);
    assert.equal(enforcer('policy.yaml', { defaultRule: 'nonexistent' }).enforce('identity:unknown', {}, MEMBER), false);
  });

  test("enforce_scope: a token outside the rule's scope_types is refused, even when the file allows everyone", () => {
    writeFileSync(join(dir, 'scoped.json'), JSON.stringify({ 'identity:get_thing': '@' }));
    assert.equal(enforcer('scoped.json').enforce('identity:get_thing', {}, MEMBER), true);
    const scoped = enforcer('scoped.json', { enforceScope: true });
    assert.equal(scoped.enforce('identity:get_thing', {}, MEMBER), false);
    assert.equal(scoped.enforce('identity:get_thing', {}, ADMIN), true);
  });

  test("policy.d rules lay over the file's, in file name order, dot-files skipped", () => {
    mkdirSync(join(dir, 'policy.d'), { recursive: true });
    writeFileSync(join(dir, 'base.json'), JSON.stringify({ 'identity:get_thing': 'role:nobody', extra: 'role:x' }));
    writeFileSync(join(dir, 'policy.d', '20-late.yaml'), '"extra": "role:member"\n');
    writeFileSync(join(dir, 'policy.d', '10-early.yaml'), '"extra": "role:admin"\n"identity:get_thing": "@"\n');
    writeFileSync(join(dir, 'policy.d', '.hidden.yaml'), '"identity:get_thing": "!"\n');
    const e = enforcer('base.json');
    assert.equal(e.enforce('identity:get_thing', {}, MEMBER), true);
    assert.equal(e.enforce('extra', {}, MEMBER), true);
    assert.equal(e.enforce('extra', {}, ADMIN), false);
    assert.deepEqual(e.effectivePolicy().slice(0, 2), [
      { name: 'identity:get_thing', rule: '@' },
      { name: 'extra', rule: 'role:member' },
    ]);
    rmSync(join(dir, 'policy.d'), { recursive: true });
  });

  test('a changed file is read again; one that no longer parses leaves the rules in force', () => {
    const file = join(dir, 'live.yaml');
    writeFileSync(file, '"identity:get_thing": "role:member"\n');
    const e = enforcer(file);
    assert.equal(e.enforce('identity:get_thing', {}, MEMBER), true);
    writeFileSync(file, '"identity:get_thing": "role:admin"\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    assert.equal(e.enforce('identity:get_thing', {}, MEMBER), false);
    writeFileSync(file, '"identity:get_thing": [unclosed\n');
    utimesSync(file, new Date(), new Date(Date.now() + 10000));
    assert.equal(e.enforce('identity:get_thing', {}, ADMIN), true);
  });

  test('references to undefined rules are reported (keystone-manage doctor lists them)', () => {
    writeFileSync(
      join(dir, 'dangling.yaml'),
      '"identity:get_thing": "rule:admin_required or rule:nowhere"\n"x": "not rule:also_missing"\n',
    );
    assert.deepEqual(enforcer('dangling.yaml').undefinedReferences(), [
      { rule: 'identity:get_thing', references: 'nowhere' },
      { rule: 'x', references: 'also_missing' },
    ]);
    assert.deepEqual(
      new PolicyEnforcer({ policyFile: '', policyDirs: [], searchDirs: [] }).undefinedReferences(),
      [],
      "Keystone's defaults are whole",
    );
  });

  test('a policy file that does not parse stops the start with its line', () => {
    writeFileSync(join(dir, 'broken.yaml'), '"ok": "@"\n  bad indentation: x\n');
    assert.throws(() => enforcer('broken.yaml'), /broken\.yaml, line 2/);
  });

  test('policy.yaml left at its default falls back to a policy.json on the search path', () => {
    const only = mkdtempSync(join(dir, 'json-only-'));
    writeFileSync(join(only, 'policy.json'), JSON.stringify({ 'identity:get_thing': 'role:member' }));
    const e = new PolicyEnforcer({ defaults: DEFAULTS, policyFile: 'policy.yaml', policyDirs: [], searchDirs: [only] });
    assert.equal(e.enforce('identity:get_thing', {}, MEMBER), true);
  });
});

describe('where policy files are looked for', () => {
  test('beside --config-dir, then beside --config-file (the last first), then ~/.keystone, ~, /etc/keystone, /etc', () => {
    const dirs = configSearchDirs({ configFiles: ['/a/keystone.conf', '/b/extra.conf'], configDirs: ['/c'] });
    assert.deepEqual(dirs.slice(0, 3), ['/c', '/b', '/a']);
    assert.deepEqual(dirs.slice(-2), ['/etc/keystone', '/etc']);
  });

  test('not found at start-up: expected beside keystone.conf (where a file created later is read), policy.json fallback kept', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keystone-policy-later-'));
    try {
      const conf = join(dir, 'keystone.conf');
      writeFileSync(conf, '[DEFAULT]\n');
      const resolved = resolvePolicyLocations(loadConfig({ configFiles: [conf] }).conf, { configFiles: [conf] });
      assert.equal(resolved.oslo_policy.policy_file, join(dir, 'policy.yaml'));
      assert.deepEqual(resolved.oslo_policy.policy_dirs, [join(dir, 'policy.d')]);
      const e = new PolicyEnforcer({
        defaults: DEFAULTS,
        policyFile: resolved.oslo_policy.policy_file,
        policyDirs: resolved.oslo_policy.policy_dirs,
        searchDirs: [],
        recheckIntervalMs: 0,
      });
      assert.equal(e.enforce('identity:get_thing', {}, MEMBER), false);
      writeFileSync(join(dir, 'policy.json'), '{"identity:get_thing": "@"}');
      assert.equal(e.enforce('identity:get_thing', {}, MEMBER), true);
      writeFileSync(join(dir, 'policy.yaml'), '"identity:get_thing": "role:member"\n');
      assert.equal(e.enforce('identity:get_thing', {}, ADMIN), false);
      mkdirSync(join(dir, 'policy.d'));
      writeFileSync(join(dir, 'policy.d', 'a.yaml'), '"identity:get_thing": "role:admin"\n');
      assert.equal(e.enforce('identity:get_thing', {}, ADMIN), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("keystone.conf's relative policy_file and policy_dirs become absolute where found", () => {
    const dir = mkdtempSync(join(tmpdir(), 'keystone-policy-loc-'));
    try {
      const conf = join(dir, 'keystone.conf');
      writeFileSync(conf, '[oslo_policy]\npolicy_file = my-policy.yaml\n');
      writeFileSync(join(dir, 'my-policy.yaml'), '"x": "@"\n');
      mkdirSync(join(dir, 'policy.d'));
      const resolved = resolvePolicyLocations(loadConfig({ configFiles: [conf] }).conf, { configFiles: [conf] });
      assert.equal(resolved.oslo_policy.policy_file, join(dir, 'my-policy.yaml'));
      assert.deepEqual(resolved.oslo_policy.policy_dirs, [join(dir, 'policy.d')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the YAML of policy files', () => {
  const parse = (text: string) => Object.fromEntries(parsePolicyFileContents(text, 'test.yaml'));

  test('quoted and plain keys and values, comments, folded lines, block scalars, nulls, flow sequences', () => {
    assert.deepEqual(
      parse(
        [
          '---',
          '# comment',
          '"identity:a": "role:admin or role:x"  # trailing comment',
          "'identity:b': 'it''s'",
          'identity:c: role:reader and',
          '  system_scope:all',
          '"identity:d": "first',
          '  second"',
          'identity:e: >-',
          '  role:admin or',
          '  role:member',
          'identity:f: |',
          '  @',
          'identity:g:',
          'identity:h: ~',
          'identity:i: [["role:admin"], ["role:member", "project_id:%(project_id)s"]]',
          'identity:j: ""',
          'identity:k: "tab\\there"',
          'identity:l: role:a#not-a-comment',
        ].join('\n'),
      ),
      {
        'identity:a': 'role:admin or role:x',
        'identity:b': "it's",
        'identity:c': 'role:reader and system_scope:all',
        'identity:d': 'first second',
        'identity:e': 'role:admin or role:member',
        'identity:f': '@\n',
        'identity:g': null,
        'identity:h': null,
        'identity:i': [['role:admin'], ['role:member', 'project_id:%(project_id)s']],
        'identity:j': '',
        'identity:k': 'tab\there',
        'identity:l': 'role:a#not-a-comment',
      },
    );
  });

  test('JSON is read as JSON; an empty file holds no rules', () => {
    assert.deepEqual(parse('{"a": "@", "b": [["role:x"]]}'), { a: '@', b: [['role:x']] });
    assert.deepEqual(parse(''), {});
    assert.deepEqual(parse('# only comments\n'), {});
  });

  test('what is not a policy file is refused with the line', () => {
    assert.throws(() => parse('a: &anchor x\n'), PolicyFileSyntaxError);
    assert.throws(() => parse('a:\n  b: c\n'), /line 2/);
    assert.throws(() => parse('"a": "unterminated\n'), /unterminated/);
    assert.throws(() => parse('a: @\n'), PolicyFileSyntaxError);
    assert.throws(() => parse('["a"]'), PolicyFileSyntaxError);
    assert.throws(() => parse('a: x\na: y\n'), /duplicate/);
  });
});

describe('keystone-manage policy_generator', () => {
  const manage = fileURLToPath(new URL('../../src/cli/keystone-manage.js', import.meta.url));
  test("prints the files' rules, then every default they leave alone, as YAML", () => {
    const dir = mkdtempSync(join(tmpdir(), 'keystone-policy-gen-'));
    try {
      writeFileSync(join(dir, 'keystone.conf'), `[DEFAULT]\nstate_path = ${dir}\n[oslo_policy]\npolicy_file = policy.yaml\n`);
      writeFileSync(join(dir, 'policy.yaml'), 'identity:get_user: role:admin\ncustom: "@"\n');
      const r = spawnSync(process.execPath, [manage, '--config-file', join(dir, 'keystone.conf'), 'policy_generator'], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.trimEnd().split('\n');
      assert.deepEqual(lines.slice(0, 3), [
        '"identity:get_user": "role:admin"',
        '"custom": "@"',
        '"admin_required": "role:admin or is_admin:1"',
      ]);
      assert.equal(lines.length, 202 + 1, 'the 202 defaults, one of them overridden, and the custom rule');
      assert.equal(lines.filter((l) => l.startsWith('"identity:get_user"')).length, 1);
      assert.ok(lines.includes('"identity:get_auth_catalog": ""'));
      // What it prints is a policy file that reads back to the same rules.
      const reread = parsePolicyFileContents(r.stdout, 'generated.yaml');
      assert.equal(reread.size, 203);
      assert.equal(
        reread.get('identity:validate_token'),
        'rule:admin_required or (role:reader and system_scope:all) or rule:service_role or rule:token_subject',
      );
      const out = join(dir, 'out.yaml');
      const w = spawnSync(
        process.execPath,
        [manage, '--config-file', join(dir, 'keystone.conf'), 'policy_generator', '--output-file', out],
        { encoding: 'utf8', timeout: 60_000 },
      );
      assert.equal(w.status, 0, w.stderr);
      assert.equal(w.stdout, '');
      assert.equal(parsePolicyFileContents(readFileSync(out, 'utf8')).size, 203);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
