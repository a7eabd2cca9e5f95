/**
 * The fuzzer's case generator: from a seed and the route table, one hostile
 * request (route, path parameters, query, headers, body). Deterministic: the
 * same seed and the same targets give the same request, so a failing seed is
 * replayed exactly (KEYSTONE_FUZZ_SEED_BASE / the regression list).
 */
import { random, type Random, type RouteEntry, type HttpRequest } from './hostile-http.js';

/** Real ids and tokens of the fuzz run's own victims (never the bootstrap admin's). */
export interface FuzzTargets {
  ids: Record<string, string>;
  /** a valid token of the admin (X-Auth-Token only, never a subject) */
  adminToken: string;
  /** a valid token of the victim user (may be revoked by the fuzzer) */
  victimToken: string;
  /** other valid callers (system-scoped admin, unscoped victim): handlers must not assume a project scope */
  otherTokens: string[];
  /** a token with a valid payload, encrypted with a key of another repository */
  foreignToken: string;
  victimName: string;
  victimDomainName: string;
}

const NUMBER_LITERALS = [
  '1e999',
  '-1e999',
  '123456789012345678901234567890123456789',
  '9007199254740993',
  '-0',
  '1e-400',
  '0.0000000000000000000000001',
];

export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  'x'.repeat(65),
  'x'.repeat(256),
  'y'.repeat(40_000),
  '名前',
  'Ünïcödé',
  '😀'.repeat(20),
  '\u0000',
  'a\u0000b',
  '\ud800',
  'a\udfffb',
  '\u202e\u0301',
  '\ufeff',
  "' OR '1'='1",
  "'; DROP TABLE project; --",
  '" OR ""="',
  '%',
  '_%',
  '%%',
  '\\',
  '\\x00',
  '$(id)',
  '`id`',
  '{{7*7}}',
  '${jndi:ldap://x}',
  '../../../etc/passwd',
  '..',
  '.',
  '/',
  '<script>alert(1)</script>',
  '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>',
  'null',
  'true',
  'NaN',
  'Infinity',
  '1e309',
  '-1',
  '0x41',
  'default',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '\r\nX-Injected: 1',
  'http://169.254.169.254/',
  '*',
  '?',
  '#',
  '&',
  '=',
  '[]',
  '{}',
  ',',
  ';',
];

const HOSTILE_OTHERS: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  2 ** 53 + 1,
  1e308,
  -1e308,
  [],
  {},
  [[[]]],
  { $ne: null },
  { $gt: '' },
  ['a', 'b'],
  { name: 'x' },
  [null],
  [{}],
  { __proto__: { admin: true } },
  { constructor: { prototype: { admin: true } } },
];

const MALFORMED_BODIES: readonly string[] = [
  '{',
  '}',
  '{"a":}',
  '{"a" 1}',
  '[',
  '{"a":1,}',
  '{a:1}',
  "{'a':1}",
  'nul',
  'undefined',
  '"unterminated',
  '{"a":"\\u12"}',
  '{"a":1}garbage',
  '{"a":1}{"b":2}',
  '\ufeff{"a":1}',
  '\u0000',
  '',
  ' ',
  'null',
  '0',
  '"x"',
  '[]',
  '[{}]',
  'true',
  '1e999',
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '\xff\xfe\xfd',
  '{"a":"\ud800"}',
];

function singular(segment: string): string {
  if (segment.endsWith('ies')) return segment.slice(0, -3) + 'y';
  if (segment.endsWith('s')) return segment.slice(0, -1);
  return segment;
}

/** A plausible body for the route, before mutation. */
export function templateBody(route: RouteEntry, t: FuzzTargets, rng: Random): unknown {
  const p = route.path;
  const user = { name: t.victimName, domain: { name: t.victimDomainName }, password: rng.pick(['wrong-password', 'victim-password', '']) };
  if (p === '/v3/auth/tokens') {
    const identity = rng.pick<Record<string, unknown>>([
      { methods: ['password'], password: { user } },
      { methods: ['password'], password: { user: { id: t.ids.user_id, password: 'victim-password' } } },
      { methods: ['token'], token: { id: t.victimToken } },
      { methods: ['application_credential'], application_credential: { id: t.ids.user_id, secret: 'x' } },
      { methods: ['totp'], totp: { user: { id: t.ids.user_id, passcode: '123456' } } },
      { methods: ['password', 'totp'], password: { user } },
    ]);
    const scope = rng.pick<unknown>([
      undefined,
      'unscoped',
      { project: { id: t.ids.project_id } },
      { project: { name: 'p', domain: { id: t.ids.domain_id } } },
      { domain: { id: t.ids.domain_id } },
      { system: { all: true } },
      { 'OS-TRUST:trust': { id: t.ids.trust_id } },
    ]);
    return { auth: scope === undefined ? { identity } : { identity, scope } };
  }
  if (p.endsWith('/password')) return { user: { password: 'new-password-1', original_password: 'victim-password' } };
  if (p.endsWith('/tags')) return { tags: ['a', 'b'] };
  if (p.includes('/config')) return { config: { identity: { driver: 'sql' }, ldap: { url: 'ldap://127.0.0.1', user_tree_dn: 'ou=x' } } };
  if (p.startsWith('/v3/OS-TRUST/trusts')) {
    return {
      trust: {
        trustor_user_id: t.ids.user_id,
        trustee_user_id: t.ids.user_id,
        project_id: t.ids.project_id,
        impersonation: false,
        roles: [{ name: 'member' }],
        expires_at: '2099-01-01T00:00:00.000000Z',
        remaining_uses: null,
      },
    };
  }
  if (p.endsWith('/application_credentials')) {
    return {
      application_credential: {
        name: 'ac',
        description: 'd',
        roles: [{ name: 'member' }],
        expires_at: null,
        unrestricted: false,
        access_rules: [{ service: 'identity', method: 'GET', path: '/v3/users' }],
      },
    };
  }
  if (p === '/v3/registered_limits')
    return { registered_limits: [{ service_id: t.ids.service_id, resource_name: 'cores', default_limit: 10, region_id: 'RegionOne' }] };
  if (p === '/v3/limits')
    return { limits: [{ service_id: t.ids.service_id, project_id: t.ids.project_id, resource_name: 'cores', resource_limit: 5 }] };
  const statics = p.split('/').filter((s) => s && !s.startsWith(':'));
  const last = p.split('/').pop()!;
  const key = last.startsWith(':') ? singular(statics[statics.length - 1] ?? 'x') : singular(last);
  return {
    [key]: {
      name: 'fuzz',
      description: 'd',
      domain_id: t.ids.domain_id,
      enabled: true,
      email: 'a@b.c',
      password: 'pw',
      url: 'http://x/v3',
      interface: 'public',
      service_id: t.ids.service_id,
      type: 'identity',
      blob: '{}',
      tags: ['t'],
      options: {},
      parent_id: t.ids.project_id,
      is_domain: false,
      extra: 'e',
      filters: { interface: 'public' },
    },
  };
}

function paths(
  value: unknown,
  prefix: Array<string | number> = [],
  out: Array<Array<string | number>> = [],
  depth = 0,
): Array<Array<string | number>> {
  if (depth > 6) return out;
  if (Array.isArray(value))
    value.forEach((v, i) => {
      out.push([...prefix, i]);
      paths(v, [...prefix, i], out, depth + 1);
    });
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      out.push([...prefix, k]);
      paths(v, [...prefix, k], out, depth + 1);
    }
  return out;
}

function setAt(root: Record<string, unknown>, path: Array<string | number>, value: unknown, remove: boolean): void {
  let node = root as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) node = node[step] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (remove) Reflect.deleteProperty(node, last);
  else node[last] = value;
}

function hostileValue(rng: Random, numbers: string[]): unknown {
  const r = rng.next();
  if (r < 0.5) return rng.pick(HOSTILE_STRINGS);
  if (r < 0.85) return structuredClone(rng.pick(HOSTILE_OTHERS));
  const marker = `__NUMBER_${numbers.length}__`;
  numbers.push(rng.pick(NUMBER_LITERALS));
  return marker;
}

export function nested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** The body text: a mutated template, or something malformed, nested or oversized. */
export function fuzzBody(route: RouteEntry, t: FuzzTargets, rng: Random): string {
  const r = rng.next();
  if (r < 0.12) return rng.pick(MALFORMED_BODIES);
  if (r < 0.17) {
    const depth = rng.pick([64, 1000, 20_000]);
    const inner = nested(depth, rng.chance(0.5) ? 'array' : 'object');
    const template = templateBody(route, t, rng) as Record<string, unknown>;
    const key = Object.keys(template)[0];
    return rng.chance(0.5) ? inner : `{"${key}":${inner}}`;
  }
  const body = { root: templateBody(route, t, rng) } as Record<string, unknown>;
  const numbers: string[] = [];
  const mutations = 1 + rng.int(4);
  for (let i = 0; i < mutations; i++) {
    const all = paths(body.root, ['root']);
    if (all.length === 0) break;
    const path = rng.pick(all);
    const op = rng.next();
    if (op < 0.15) setAt(body, path, undefined, true);
    else if (op < 0.25)
      setAt(
        body,
        [...path.slice(0, -1), rng.pick(HOSTILE_STRINGS.filter((s) => s.length < 100)) || 'k'],
        hostileValue(rng, numbers),
        false,
      );
    else setAt(body, path, hostileValue(rng, numbers), false);
  }
  let text = JSON.stringify(body.root) ?? 'null';
  if (rng.chance(0.15) && text.startsWith('{"')) {
    // a duplicate key: the same first key again, with another value
    const key = /^\{"((?:[^"\\]|\\.)*)"/.exec(text)![1];
    text = `{"${key}":${JSON.stringify(hostileValue(rng, numbers))},` + text.slice(1);
  }
  numbers.forEach((literal, i) => {
    text = text.replace(`"__NUMBER_${i}__"`, literal);
  });
  return text;
}

/** Encodes any string into a path segment, lone surrogates and NULs included (as raw UTF-8 / %00). */
export function pathSegment(s: string): string {
  return [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

const QUERY_KEYS = [
  'name',
  'domain_id',
  'enabled',
  'limit',
  'marker',
  'user.id',
  'group.id',
  'role.id',
  'scope.project.id',
  'scope.domain.id',
  'scope.system',
  'effective',
  'include_names',
  'include_subtree',
  'nocatalog',
  'allow_expired',
  'parent_id',
  'is_domain',
  'tags',
  'tags-any',
  'not-tags',
  'name__icontains',
  'name__startswith',
  'password_expires_at',
  'idp_id',
  'protocol_id',
  'unique_id',
  'service_id',
  'interface',
  'region_id',
  'type',
  'since',
  'parents_as_list',
  'subtree_as_ids',
  'trustor_user_id',
  'trustee_user_id',
  'resource_name',
  'sort_key',
  'sort_dir',
  'fields',
];

function fuzzQuery(rng: Random, t: FuzzTargets): string {
  const pairs: string[] = [];
  const n = 1 + rng.int(3);
  for (let i = 0; i < n; i++) {
    const key = rng.pick(QUERY_KEYS);
    const r = rng.next();
    if (r < 0.15)
      pairs.push(key); // a bare flag
    else if (r < 0.3)
      pairs.push(`${key}[${rng.pick(['$gt', '0', '', 'a][b', '__proto__'])}]=${pathSegment(rng.pick(HOSTILE_STRINGS).slice(0, 50))}`); // qs objects / arrays
    else if (r < 0.4)
      pairs.push(`${key}=a&${key}=b`); // repeated: an array
    else if (r < 0.5) pairs.push(`${key}=${pathSegment(rng.pick(Object.values(t.ids)))}`);
    else pairs.push(`${pathSegment(key)}=${pathSegment(rng.pick(HOSTILE_STRINGS).slice(0, 2000))}`);
  }
  if (rng.chance(0.05)) pairs.push('%ZZ=%E0%A4%A');
  return '?' + pairs.join('&');
}

export function mutateToken(token: string, rng: Random): string {
  const r = rng.next();
  if (r < 0.25) return token.slice(0, rng.int(token.length));
  if (r < 0.4) return token + rng.pick(['=', '==', 'AAAA', 'x'.repeat(300), '%00', ' ']);
  if (r < 0.75) {
    const bytes = Buffer.from(token.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === 0) return token;
    const i = rng.int(bytes.length);
    bytes[i] = bytes[i] ^ (1 << rng.int(8));
    return bytes.toString('base64url');
  }
  if (r < 0.85) return token.toUpperCase();
  return token.split('').reverse().join('');
}

/** A header value node's client will send (no control characters; latin-1 above 0x7f is fine). */
function headerSafe(s: string): string {
  const latin1 = Buffer.from(s, 'utf8').toString('latin1');
  // eslint-disable-next-line no-control-regex -- control characters are what this strips
  return latin1.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '');
}

function tokenHeader(rng: Random, t: FuzzTargets): string {
  const r = rng.next();
  // (the choice among the valid callers draws nothing more from rng: seeds keep their shape)
  if (r < 0.3) return [t.adminToken, t.adminToken, ...t.otherTokens][Math.floor(r * 1000) % (2 + t.otherTokens.length)];
  if (r < 0.4) return t.victimToken;
  if (r < 0.7) return mutateToken(rng.pick([t.adminToken, t.victimToken]), rng);
  if (r < 0.8) return t.foreignToken;
  if (r < 0.85) return 'A'.repeat(rng.pick([1000, 8000]));
  return headerSafe(rng.pick(HOSTILE_STRINGS).slice(0, 300));
}

const CONTENT_TYPES = [
  'application/json',
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '',
  'application/vnd.api+json',
  'application/json\u00ff',
  '*/*',
];
const ACCEPTS = [
  'application/json',
  'application/json-home',
  'application/xml',
  '*/*',
  'text/html',
  'application/json;q=0, */*;q=0',
  'garbage/\u00ff',
];

export interface FuzzCase {
  seed: number;
  route: RouteEntry;
  request: HttpRequest;
}

const SUBJECT_ROUTES = /^\/v3\/auth\/|^\/v2\.0\/tokens/;

export function fuzzCase(seed: number, routes: readonly RouteEntry[], t: FuzzTargets): FuzzCase {
  const rng = random(seed);
  const route = rng.pick(routes);
  let method: string = route.method;
  if (rng.chance(0.04)) method = rng.pick(['OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE']);
  let path = route.path.replace(/:([A-Za-z_]+)/g, (_m, name: string) => {
    const r = rng.next();
    const real = t.ids[name] ?? t.ids[name.replace(/^(prior|implied)_/, '')];
    if (real && r < 0.55) return pathSegment(real);
    if (r < 0.65) return rng.int(2) ? 'ffffffffffffffffffffffffffffffff' : '00000000-0000-0000-0000-000000000000';
    if (r < 0.97) return pathSegment(rng.pick(HOSTILE_STRINGS).slice(0, 3000) || '%20');
    return 'z'.repeat(rng.pick([300, 5000]));
  });
  if (rng.chance(0.05)) path += rng.pick(['/', '//', '/extra', '/..', '/%2e%2e', '/.']);
  if (rng.chance(0.35)) path += fuzzQuery(rng, t);
  const headers: Record<string, string> = {};
  if (rng.chance(0.8)) headers['X-Auth-Token'] = tokenHeader(rng, t);
  if (SUBJECT_ROUTES.test(route.path) ? rng.chance(0.85) : rng.chance(0.08)) {
    headers['X-Subject-Token'] = rng.chance(0.3) ? t.victimToken : tokenHeader(rng, { ...t, adminToken: t.victimToken, otherTokens: [] });
  }
  if (rng.chance(0.1))
    headers['Openstack-Auth-Receipt'] = rng.chance(0.5)
      ? mutateToken(t.victimToken, rng)
      : headerSafe(rng.pick(HOSTILE_STRINGS).slice(0, 200));
  if (rng.chance(0.1)) headers['Openstack-Identity-Access-Rules'] = rng.pick(['1.0', '0', '99999', 'garbage', '-1', '1.0.0.0']);
  if (rng.chance(0.2)) headers.Accept = headerSafe(rng.pick(ACCEPTS));
  if (rng.chance(0.03)) headers['X-Fuzz-Long'] = 'h'.repeat(rng.pick([4000, 12_000]));
  const wantsBody = method === 'POST' || method === 'PUT' || method === 'PATCH' ? rng.chance(0.92) : rng.chance(0.05);
  let body: string | undefined;
  if (wantsBody) {
    body = fuzzBody(route, t, rng);
    headers['Content-Type'] = headerSafe(rng.pick(CONTENT_TYPES));
  }
  return { seed, route, request: { method, path, headers, body } };
}

/**
 * Path parameters that do not percent-decode to valid UTF-8 (a surrogate, an overlong '/', bytes no
 * UTF-8 has) or hold a '%' that starts no escape (IIS's %uXXXX): raw path text, never re-encoded.
 */
export const UNDECODABLE_SEGMENTS: readonly string[] = ['%ED%A0%BD', '%C0%AF', '%FF%FE', '%u0041'];

/**
 * The encoding sweep: for every route with a parameter and every undecodable segment, the request with
 * every parameter undecodable, and the one with real ids (where known) and only its last parameter
 * undecodable (so that the handler, not only the first look-up, sees the text). Deterministic.
 */
export function encodingCases(routes: readonly RouteEntry[], t: FuzzTargets): FuzzCase[] {
  const cases: FuzzCase[] = [];
  for (const route of routes) {
    const names = [...route.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]);
    if (names.length === 0) continue;
    for (const segment of UNDECODABLE_SEGMENTS) {
      const variants = [
        route.path.replace(/:([A-Za-z_]+)/g, () => segment),
        route.path.replace(/:([A-Za-z_]+)/g, (_m, name: string) => {
          if (name === names[names.length - 1]) return segment;
          const real = t.ids[name] ?? t.ids[name.replace(/^(prior|implied)_/, '')];
          return real ? pathSegment(real) : segment;
        }),
      ];
      for (const path of new Set(variants)) {
        const body =
          route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH'
            ? JSON.stringify(templateBody(route, t, random(cases.length)))
            : undefined;
        const headers: Record<string, string> = { 'X-Auth-Token': t.adminToken };
        if (SUBJECT_ROUTES.test(route.path)) headers['X-Subject-Token'] = t.victimToken;
        if (body !== undefined) headers['Content-Type'] = 'application/json';
        cases.push({ seed: -1, route, request: { method: route.method, path, headers, body } });
      }
    }
  }
  return cases;
}
