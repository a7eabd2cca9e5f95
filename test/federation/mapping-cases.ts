/** Mapping rules and assertions for test/federation/mapping-oracle.test.ts: written out, and generated from a seed. */
export interface MappingCase {
  name: string;
  mapping: unknown;
  assertion: Record<string, unknown>;
}

const USER = { type: 'UserName' };
const bob = { UserName: 'bob', Email: 'bob@example.com', orgPersonType: 'Employee;Tester', Groups: 'g1;g2;g3', Dept: 'dev' };
const rule = (local: unknown[], remote: unknown[]) => ({ rules: [{ local, remote }] });

export const HAND_WRITTEN_CASES: MappingCase[] = [
  // schema errors
  { name: 'no rules key', mapping: {}, assertion: bob },
  { name: 'empty rules', mapping: { rules: [] }, assertion: bob },
  { name: 'rules not a list', mapping: { rules: 'x' }, assertion: bob },
  { name: 'not an object', mapping: ['x'], assertion: bob },
  { name: 'rule without local', mapping: { rules: [{ remote: [USER] }] }, assertion: bob },
  { name: 'rule with extra key', mapping: { rules: [{ local: [], remote: [USER], other: 1 }] }, assertion: bob },
  { name: 'empty remote', mapping: rule([{ user: { name: 'x' } }], []), assertion: bob },
  { name: 'two evaluations', mapping: rule([], [{ type: 'Dept', any_one_of: ['dev'], not_any_of: ['x'] }]), assertion: bob },
  { name: 'remote without type', mapping: rule([], [{ any_one_of: ['dev'] }]), assertion: bob },
  { name: 'regex not boolean', mapping: rule([], [{ type: 'Dept', any_one_of: ['dev'], regex: 'yes' }]), assertion: bob },
  { name: 'unknown user type', mapping: rule([{ user: { name: '{0}', type: 'admin' } }], [USER]), assertion: bob },
  { name: 'user extra property', mapping: rule([{ user: { name: '{0}', nick: 'x' } }], [USER]), assertion: bob },
  { name: 'group with id and name', mapping: rule([{ group: { id: 'a', name: 'b' } }], [USER]), assertion: bob },
  { name: 'group name without domain', mapping: rule([{ group: { name: 'b' } }], [USER]), assertion: bob },
  { name: 'domain extra property', mapping: rule([{ user: { name: 'x', domain: { id: 'd', x: 1 } } }], [USER]), assertion: bob },
  { name: 'project without roles', mapping: rule([{ projects: [{ name: 'p' }] }], [USER]), assertion: bob },
  { name: 'role without name', mapping: rule([{ projects: [{ name: 'p', roles: [{ id: 'r' }] }] }], [USER]), assertion: bob },
  { name: 'groups not a string', mapping: rule([{ groups: ['a'], domain: { id: 'd' } }], [USER]), assertion: bob },
  { name: 'several errors', mapping: { rules: [{ local: [{ user: 5, group: [] }], remote: [{}, { type: 1 }], x: null }] }, assertion: bob },
  // remote conditions
  { name: 'plain type', mapping: rule([{ user: { name: '{0}' } }], [USER]), assertion: bob },
  { name: 'missing attribute', mapping: rule([{ user: { name: '{0}' } }], [{ type: 'Nope' }]), assertion: bob },
  { name: 'empty attribute', mapping: rule([{ user: { name: '[{0}]' } }], [USER]), assertion: { UserName: '' } },
  { name: 'any_one_of', mapping: rule([{ user: { name: 'x' } }], [{ type: 'orgPersonType', any_one_of: ['Tester'] }]), assertion: bob },
  { name: 'any_one_of miss', mapping: rule([{ user: { name: 'x' } }], [{ type: 'orgPersonType', any_one_of: ['Boss'] }]), assertion: bob },
  {
    name: 'any_one_of regex',
    mapping: rule([{ user: { name: 'x' } }], [{ type: 'Email', any_one_of: ['.*@example.com$'], regex: true }]),
    assertion: bob,
  },
  { name: 'not_any_of', mapping: rule([{ user: { name: 'x' } }], [{ type: 'orgPersonType', not_any_of: ['Contractor'] }]), assertion: bob },
  { name: 'not_any_of hit', mapping: rule([{ user: { name: 'x' } }], [{ type: 'orgPersonType', not_any_of: ['Tester'] }]), assertion: bob },
  {
    name: 'not_any_of regex',
    mapping: rule([{ user: { name: 'x' } }], [{ type: 'orgPersonType', not_any_of: ['^Emp'], regex: true }]),
    assertion: bob,
  },
  { name: 'blacklist', mapping: rule([{ groups: '{0}', domain: { id: 'd' } }], [{ type: 'Groups', blacklist: ['g2'] }]), assertion: bob },
  {
    name: 'blacklist all',
    mapping: rule([{ groups: '{0}', domain: { id: 'd' } }], [{ type: 'Groups', blacklist: ['g1', 'g2', 'g3'] }]),
    assertion: bob,
  },
  {
    name: 'whitelist',
    mapping: rule([{ groups: '{0}', domain: { name: 'D' } }], [{ type: 'Groups', whitelist: ['g2', 'g9'] }]),
    assertion: bob,
  },
  {
    name: 'whitelist regex',
    mapping: rule([{ group_ids: '{0}' }], [{ type: 'Groups', whitelist: ['^g[13]$'], regex: true }]),
    assertion: bob,
  },
  { name: 'blacklist regex', mapping: rule([{ group_ids: '{0}' }], [{ type: 'Groups', blacklist: ['3$'], regex: true }]), assertion: bob },
  {
    name: 'whitelist then user',
    mapping: rule([{ user: { name: '{1}' } }, { group_ids: '{0}' }], [{ type: 'Groups', whitelist: ['g1'] }, USER]),
    assertion: bob,
  },
  // local parts
  {
    name: 'local user in a domain',
    mapping: rule([{ user: { name: '{0}', type: 'local', domain: { name: 'Default' } } }], [USER]),
    assertion: bob,
  },
  { name: 'user id and email', mapping: rule([{ user: { id: '{0}', email: '{1}' } }], [USER, { type: 'Email' }]), assertion: bob },
  { name: 'group by id', mapping: rule([{ user: { name: '{0}' }, group: { id: 'abc' } }], [USER]), assertion: bob },
  {
    name: 'group by name',
    mapping: rule([{ user: { name: '{0}' } }, { group: { name: '{0}s', domain: { id: 'd' } } }], [USER]),
    assertion: bob,
  },
  { name: 'groups list', mapping: rule([{ groups: '{0}', domain: { id: 'd' } }], [{ type: 'Groups' }]), assertion: bob },
  { name: 'groups without domain', mapping: rule([{ groups: '{0}' }], [{ type: 'Groups' }]), assertion: bob },
  {
    name: 'groups as JSON',
    mapping: rule([{ groups: '{0}' }], [{ type: 'G' }]),
    assertion: { G: 'JSON:{"name":"a","domain":{"name":"D"}};JSON:{"name":"b","domain":{"id":"x"}}' },
  },
  { name: 'groups JSON without domain', mapping: rule([{ groups: '{0}' }], [{ type: 'G' }]), assertion: { G: 'JSON:{"name":"a"}' } },
  { name: 'group_ids single', mapping: rule([{ group_ids: '{0}' }], [{ type: 'Dept' }]), assertion: bob },
  { name: 'group_ids numeric', mapping: rule([{ group_ids: '{0}' }], [{ type: 'N' }]), assertion: { N: '42' } },
  { name: 'groups numeric', mapping: rule([{ groups: '{0}', domain: { id: 'd' } }], [{ type: 'N' }]), assertion: { N: '42' } },
  {
    name: 'projects with roles',
    mapping: rule([{ user: { name: '{0}' }, projects: [{ name: 'proj-{0}', roles: [{ name: 'member' }, { name: 'reader' }] }] }], [USER]),
    assertion: bob,
  },
  { name: 'index out of range', mapping: rule([{ user: { name: '{1}' } }], [USER]), assertion: bob },
  { name: 'automatic numbering', mapping: rule([{ user: { name: '{}-{}' } }], [USER, { type: 'Dept' }]), assertion: bob },
  { name: 'escaped braces', mapping: rule([{ user: { name: '{{0}}{0}' } }], [USER]), assertion: bob },
  {
    name: 'braces without direct maps',
    mapping: rule([{ user: { name: '{0}' } }], [{ type: 'Dept', any_one_of: ['dev'] }]),
    assertion: bob,
  },
  { name: 'single brace', mapping: rule([{ user: { name: 'a}' } }], [USER]), assertion: bob },
  {
    name: 'multi-valued substitution',
    mapping: rule([{ user: { name: '{0}' } }], [{ type: 'orgPersonType' }]),
    assertion: { orgPersonType: 'Tester' },
  },
  {
    name: 'quote in repr',
    mapping: rule([{ user: { name: '{0}' }, groups: '{1}', domain: { id: 'd' } }], [USER, { type: 'G' }]),
    assertion: { UserName: "o'brien", G: 'it\'s;b"c' },
  },
  {
    name: 'multiple rules',
    mapping: {
      rules: [
        { local: [{ user: { name: '{0}' } }], remote: [USER] },
        {
          local: [{ user: { name: 'second' } }, { group: { id: 'g-tester' } }],
          remote: [{ type: 'orgPersonType', any_one_of: ['Tester'] }],
        },
        { local: [{ group: { name: 'n', domain: { id: 'd' } } }], remote: [{ type: 'Dept' }] },
        {
          local: [{ group: { name: 'n', domain: { id: 'd' } } }, { group: { name: 'm', domain: { name: 'e' } } }],
          remote: [{ type: 'Dept' }],
        },
        { local: [{ projects: [{ name: 'last', roles: [{ name: 'admin' }] }] }], remote: [{ type: 'Email' }] },
      ],
    },
    assertion: bob,
  },
  {
    name: 'nothing matches',
    mapping: rule([{ user: { name: '{0}' } }], [{ type: 'orgPersonType', any_one_of: ['Boss'] }]),
    assertion: bob,
  },
  { name: 'no user at all', mapping: rule([{ group: { id: 'x' } }], [USER]), assertion: bob },
  { name: 'non-string assertion values', mapping: rule([{ user: { name: '{0}' } }], [USER]), assertion: { UserName: 5, Dept: 'dev' } },
];

/** mulberry32: a small seeded generator, so a failure is reproducible. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ATTRIBUTES = ['UserName', 'Email', 'orgPersonType', 'Groups', 'Dept'];
const VALUES = ['bob', 'alice', 'Tester', 'Contractor', 'Employee', 'admin', 'g1', 'g2', 'g3', 'b0b@example.com', 'dev', ''];
const PATTERNS = ['^b', 'o', 'Test.*', '^g[12]$', '@example\\.com$', 'x'];
const EVALUATIONS = ['plain', 'any_one_of', 'not_any_of', 'blacklist', 'whitelist'];

export function randomCases(seed: number, count: number): MappingCase[] {
  const random = generator(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const some = <T>(items: readonly T[], max: number): T[] => Array.from({ length: 1 + Math.floor(random() * max) }, () => pick(items));
  const field = () => `{${String(Math.floor(random() * 3))}}`;
  const domain = () => (random() < 0.5 ? { id: pick(['d1', '{0}']) } : { name: pick(['Default', 'D-{0}']) });
  const locals: (() => unknown)[] = [
    () => ({ user: { name: field() } }),
    () => ({ user: { name: `${field()}-x`, type: pick(['local', 'ephemeral']), domain: domain() } }),
    () => ({ user: { id: field(), email: field() } }),
    () => ({ group: { id: pick(['gid', field()]) } }),
    () => ({ group: { name: pick(['grp', field()]), domain: domain() } }),
    () => ({ groups: field(), domain: domain() }),
    () => ({ group_ids: field() }),
    () => ({ projects: [{ name: `p-${field()}`, roles: [{ name: pick(['member', 'reader']) }] }] }),
    () => ({ user: { name: 'fixed' } }),
  ];
  const requirement = () => {
    const type = pick(ATTRIBUTES);
    const evaluation = pick(EVALUATIONS);
    if (evaluation === 'plain') return { type };
    const regex = random() < 0.3;
    const values = regex ? some(PATTERNS, 2) : some(VALUES, 3);
    return regex ? { type, [evaluation]: values, regex } : { type, [evaluation]: values };
  };
  const cases: MappingCase[] = [];
  for (let i = 0; i < count; i++) {
    const rules = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({
      local: Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(locals)()),
      remote: Array.from({ length: 1 + Math.floor(random() * 3) }, requirement),
    }));
    const assertion: Record<string, string> = {};
    for (const attribute of ATTRIBUTES) if (random() < 0.8) assertion[attribute] = [...new Set(some(VALUES, 3))].join(';');
    cases.push({ name: `random #${String(i)}`, mapping: { rules }, assertion });
  }
  return cases;
}
