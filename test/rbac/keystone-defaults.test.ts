/**
 * The built-in defaults (src/rbac/keystone-defaults.ts) are Keystone 22's:
 * the table's count and spot checks, every rule name the handlers enforce
 * registered, and — against the installed Keystone (Debian's
 * /usr/bin/python3, keystone.common.policies with oslo.policy's Enforcer)
 * — the same answer for every registered rule, for each persona, on its own
 * and on someone else's objects, under each combination of
 * [oslo_policy] enforce_scope and enforce_new_defaults.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { KEYSTONE_DEFAULT_RULES } from '../../src/rbac/keystone-defaults.js';
import { PolicyEnforcer } from '../../src/rbac/policy-enforcer.js';
import { policyCredentials, type Caller } from '../../src/auth/caller.js';
import { PYTHON, pythonModulesMissing, skipUnlessCi } from '../clients/python-clients.js';

const byName = new Map(KEYSTONE_DEFAULT_RULES.map((r) => [r.name, r]));

describe("Keystone 22's default rules", () => {
  test('the table: 202 rules (8 base, 194 identity:*), 157 with a deprecated rule, one deprecated for removal', () => {
    assert.equal(KEYSTONE_DEFAULT_RULES.length, 202);
    assert.equal(byName.size, 202, 'no duplicate names');
    assert.equal(KEYSTONE_DEFAULT_RULES.filter((r) => r.name.startsWith('identity:')).length, 194);
    assert.equal(KEYSTONE_DEFAULT_RULES.filter((r) => r.deprecated).length, 157);
    assert.deepEqual(
      KEYSTONE_DEFAULT_RULES.filter((r) => r.deprecatedForRemoval).map((r) => r.name),
      ['identity:revocation_list'],
    );
  });

  test('spot checks against keystone/common/policies', () => {
    assert.equal(byName.get('admin_required')?.check, 'role:admin or is_admin:1');
    assert.equal(byName.get('token_subject')?.check, 'user_id:%(target.token.user_id)s');
    const getUser = byName.get('identity:get_user')!;
    assert.equal(
      getUser.check,
      '(rule:admin_required) or (role:reader and system_scope:all) or (role:reader and token.domain.id:%(target.user.domain_id)s) or user_id:%(target.user.id)s',
    );
    assert.deepEqual(getUser.scopeTypes, ['system', 'domain', 'project']);
    assert.deepEqual(getUser.deprecated, { check: 'rule:admin_or_owner', since: 'S' });
    const createRegion = byName.get('identity:create_region')!;
    assert.equal(createRegion.check, 'rule:admin_required');
    assert.deepEqual(createRegion.scopeTypes, ['system', 'project']);
    assert.equal(createRegion.deprecated?.check, 'rule:admin_required');
    assert.equal(byName.get('identity:get_region')?.check, '');
    assert.equal(byName.get('identity:get_auth_catalog')?.check, '');
    assert.equal(
      byName.get('identity:validate_token')?.check,
      'rule:admin_required or (role:reader and system_scope:all) or rule:service_role or rule:token_subject',
    );
    assert.equal(
      byName.get('identity:list_projects')?.check,
      '(rule:admin_required) or (role:reader and system_scope:all) or (role:reader and domain_id:%(target.domain_id)s)',
    );
  });

  test('every rule the API handlers enforce is registered (Keystone refuses unknown actions)', () => {
    const dir = new URL('../../src/api/v3/', import.meta.url);
    const used = new Set<string>();
    for (const file of readdirSync(dir)) {
      if (!file.endsWith('.js')) continue;
      for (const m of readFileSync(join(dir.pathname, file), 'utf8').matchAll(/'(identity:[a-z_]+)'/g)) used.add(m[1]);
    }
    assert.ok(used.size > 50, `found ${used.size} rule names`);
    const unknown = [...used].filter((name) => !byName.has(name));
    assert.deepEqual(unknown, []);
  });
});

// ------------------------------------------------------------ the differential against Keystone

const D1 = 'domain-one';
const D2 = 'domain-two';
const caller = (over: Partial<Caller>, roles: string[]): Caller => ({
  userId: 'u-self',
  userDomainId: D1,
  roles: roles.map((name) => ({ id: `id-${name}`, name })),
  isAdminToken: false,
  isAdminProject: false,
  auditIds: ['audit'],
  methods: ['password'],
  ...over,
});
const PERSONAS: Record<string, Caller> = {
  systemAdmin: caller({ systemScope: 'all', isAdminProject: true }, ['admin', 'member', 'reader']),
  systemReader: caller({ systemScope: 'all', isAdminProject: true }, ['reader']),
  domainAdmin: caller({ domainId: D1 }, ['admin', 'member', 'reader']),
  domainReader: caller({ domainId: D1 }, ['reader']),
  projectAdmin: caller({ projectId: 'p-self', projectDomainId: D1, isAdminProject: true }, ['admin', 'member', 'reader']),
  projectMember: caller({ projectId: 'p-self', projectDomainId: D1, isAdminProject: true }, ['member', 'reader']),
  projectReader: caller({ projectId: 'p-self', projectDomainId: D1, isAdminProject: true }, ['reader']),
  serviceUser: caller({ projectId: 'p-service', projectDomainId: D1, isAdminProject: true }, ['service']),
  noRole: caller({ isAdminProject: true }, []),
};

/** Keystone's targets, nested as the handlers give them, on the caller's own objects and on another domain's. */
function targets(domain: string, user: string, project: string): Record<string, unknown> {
  const target = {
    user: { id: user, domain_id: domain },
    project: { id: project, domain_id: domain },
    group: { id: 'g', domain_id: domain },
    domain: { id: domain },
    domain_id: domain,
    role: { id: 'r', domain_id: domain },
    credential: { user_id: user },
    trust: { trustor_user_id: user, trustee_user_id: user },
    token: { user_id: user, user: { domain: { id: domain } } },
    limit: { project_id: project, domain_id: domain, project: { domain_id: domain }, domain: { id: domain } },
    application_credential: { user_id: user },
  };
  return { user_id: user, target };
}
const TARGETS = { own: targets(D1, 'u-self', 'p-self'), other: targets(D2, 'u-other', 'p-other') };
const CONFIGS = [
  { enforceScope: false, enforceNewDefaults: false },
  { enforceScope: true, enforceNewDefaults: false },
  { enforceScope: false, enforceNewDefaults: true },
  { enforceScope: true, enforceNewDefaults: true },
];

const ORACLE = `
import json, sys, warnings
warnings.simplefilter('ignore')
from oslo_config import cfg
from oslo_policy import policy
from keystone.common import policies
request = json.load(sys.stdin)
def flatten(d, parent=''):
    out = {}
    for k, v in d.items():
        key = parent + '.' + k if parent else k
        out.update(flatten(v, key) if isinstance(v, dict) else {key: v})
    return out
answers = []
for config in request['configs']:
    conf = cfg.ConfigOpts()
    conf([], project='keystone-oracle', default_config_files=[], default_config_dirs=[])
    enforcer = policy.Enforcer(conf, policy_file='no-such-policy-file.yaml')
    conf.set_override('enforce_scope', config['enforceScope'], group='oslo_policy')
    conf.set_override('enforce_new_defaults', config['enforceNewDefaults'], group='oslo_policy')
    enforcer.suppress_deprecation_warnings = True
    enforcer.register_defaults(policies.list_rules())
    for rule in request['rules']:
        for target in request['targets']:
            for creds in request['creds']:
                try:
                    answers.append(bool(enforcer.enforce(rule, flatten(target), dict(creds), do_raise=True)))
                except (policy.InvalidScope, policy.PolicyNotAuthorized):
                    answers.append(False)
json.dump(answers, sys.stdout)
`;

describe('the same answers as Keystone 22 for every default rule', () => {
  const missing = pythonModulesMissing(['keystone.common.policies', 'oslo_policy']);
  test('personas × own and other objects × enforce_scope × enforce_new_defaults', { skip: skipUnlessCi(missing) }, () => {
    assert.equal(missing, false, String(missing));
    const rules = KEYSTONE_DEFAULT_RULES.filter((r) => !r.deprecatedForRemoval).map((r) => r.name);
    const personas = Object.entries(PERSONAS);
    const creds = personas.map(([, c]) => policyCredentials(c));
    const targetList = Object.values(TARGETS);
    const request = { configs: CONFIGS, rules, targets: targetList, creds };
    const r = spawnSync(PYTHON, ['-c', ORACLE], {
      input: JSON.stringify(request),
      encoding: 'utf8',
      timeout: 300_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.equal(r.status, 0, r.stderr);
    const theirs = JSON.parse(r.stdout) as boolean[];
    const differences: string[] = [];
    let i = 0;
    let allowed = 0;
    for (const config of CONFIGS) {
      const enforcer = new PolicyEnforcer({ ...config, policyFile: '', policyDirs: [], searchDirs: [] });
      for (const rule of rules) {
        for (const [targetName, target] of Object.entries(TARGETS)) {
          for (const [name, c] of personas) {
            const ours = enforcer.enforce(rule, target, policyCredentials(c));
            if (ours) allowed++;
            if (ours !== theirs[i])
              differences.push(`${rule} (${JSON.stringify(config)}) ${name} on ${targetName}: Keystone ${theirs[i]}, here ${ours}`);
            i++;
          }
        }
      }
    }
    assert.equal(i, theirs.length);
    assert.ok(allowed > 0 && allowed < i, 'the corpus has both answers');
    assert.deepEqual(differences.slice(0, 20), [], `${differences.length} differences`);
  });
});
