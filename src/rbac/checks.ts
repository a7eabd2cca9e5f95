/**
 * The check tree of oslo.policy's rule language, compiled once and
 * evaluated without allocating: `@`, `!`, `not`, `and`, `or`, `rule:NAME`,
 * `role:NAME` and the generic `KIND:MATCH` checks, with oslo.policy's
 * semantics:
 *
 * - MATCH is a Python %-format over the target: `%(target.user.id)s` reads
 *   a key of the target (Keystone flattens its target dict, so dotted names
 *   are read here as paths into the nested target); a missing key, or one
 *   that names a whole object, makes the check false. Values render as
 *   Python's str() would (None, True, False, ['a', 'b']).
 * - `role:X` compares X with the credentials' role names case-insensitively.
 * - A generic KIND that is a Python literal ('admin', True, 1) is compared
 *   with MATCH; otherwise KIND is a dotted path into the credentials
 *   (`token.project.domain.id`), lists on the way are searched element by
 *   element, and the value found must equal MATCH as a string.
 * - `rule:NAME` evaluates another rule; an unknown NAME falls back to the
 *   [oslo_policy] policy_default_rule, and is false when that is undefined.
 */

export type PolicyDict = Readonly<Record<string, unknown>>;

/** What a check needs besides target and credentials: the other rules. */
export interface RuleLookup {
  ruleFor(name: string): Check | undefined;
}

export abstract class Check {
  abstract evaluate(target: PolicyDict, creds: PolicyDict, rules: RuleLookup): boolean;
  /** oslo.policy's str(check): the rule in canonical text form */
  abstract toString(): string;
}

export class TrueCheck extends Check {
  evaluate(): boolean {
    return true;
  }
  toString(): string {
    return '@';
  }
}

export class FalseCheck extends Check {
  evaluate(): boolean {
    return false;
  }
  toString(): string {
    return '!';
  }
}

export class NotCheck extends Check {
  constructor(readonly rule: Check) {
    super();
  }
  evaluate(target: PolicyDict, creds: PolicyDict, rules: RuleLookup): boolean {
    return !this.rule.evaluate(target, creds, rules);
  }
  toString(): string {
    return `not ${this.rule.toString()}`;
  }
}

export class AndCheck extends Check {
  constructor(readonly rules: Check[]) {
    super();
  }
  evaluate(target: PolicyDict, creds: PolicyDict, lookup: RuleLookup): boolean {
    for (const rule of this.rules) if (!rule.evaluate(target, creds, lookup)) return false;
    return true;
  }
  toString(): string {
    return `(${this.rules.map(String).join(' and ')})`;
  }
}

export class OrCheck extends Check {
  constructor(readonly rules: Check[]) {
    super();
  }
  evaluate(target: PolicyDict, creds: PolicyDict, lookup: RuleLookup): boolean {
    for (const rule of this.rules) if (rule.evaluate(target, creds, lookup)) return true;
    return false;
  }
  toString(): string {
    return `(${this.rules.map(String).join(' or ')})`;
  }
}

// ------------------------------------------------------------ values as Python prints them

function pyRepr(value: unknown): string {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return pyStr(value);
}

/** Python's str() of a JSON-ish value. */
export function pyStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object')
    return `{${Object.entries(value)
      .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`)
      .join(', ')}}`;
  if (typeof value === 'bigint' || typeof value === 'symbol') return value.toString();
  return '<function>';
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// ------------------------------------------------------------ %(name)s templates over the target

/** A MATCH string: literal text and %(key)s substitutions, split once. */
export class MatchTemplate {
  /** the text when there is no substitution (the common `role:admin`) */
  readonly constant: string | undefined;
  private readonly parts: (string | { key: string; path: string[] })[];

  private constructor(
    readonly source: string,
    parts: (string | { key: string; path: string[] })[] | null,
  ) {
    this.parts = parts ?? [];
    this.constant = parts !== null && parts.every((p) => typeof p === 'string') ? parts.join('') : undefined;
  }

  /** null parts: not a valid format (Python would raise): the check never matches. */
  static parse(source: string): MatchTemplate {
    const parts: (string | { key: string; path: string[] })[] = [];
    let text = '';
    for (let i = 0; i < source.length; i++) {
      const c = source[i];
      if (c !== '%') {
        text += c;
        continue;
      }
      if (source[i + 1] === '%') {
        text += '%';
        i++;
        continue;
      }
      const m = /^%\(([^)]*)\)s/.exec(source.slice(i));
      if (!m) return new MatchTemplate(source, null);
      if (text) parts.push(text);
      text = '';
      parts.push({ key: m[1], path: m[1].split('.') });
      i += m[0].length - 1;
    }
    if (text) parts.push(text);
    const t = new MatchTemplate(source, parts);
    return t.parts.length === 0 ? new MatchTemplate(source, ['']) : t;
  }

  /** The MATCH with the target's values in; undefined when a key is missing. */
  render(target: PolicyDict): string | undefined {
    if (this.constant !== undefined) return this.constant;
    if (this.parts.length === 0) return undefined;
    let out = '';
    for (const part of this.parts) {
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      const value = lookupTarget(target, part.key, part.path);
      if (value === undefined) return undefined;
      out += pyStr(value);
    }
    return out;
  }
}

/**
 * target[key] as in Keystone's flattened policy dict: the key itself, else
 * the dotted path into nested objects. Objects are not values there.
 */
function lookupTarget(target: PolicyDict, key: string, path: readonly string[]): unknown {
  let value: unknown = target[key];
  if (value === undefined) {
    if (path.length === 1) return undefined;
    value = target;
    for (let i = 0; i < path.length; i++) {
      if (!isPlainObject(value)) return undefined;
      value = value[path[i]];
      if (value === undefined) return undefined;
    }
  } else if (!Object.prototype.hasOwnProperty.call(target, key)) {
    return undefined;
  }
  if (isPlainObject(value) || typeof value === 'function') return undefined;
  return value;
}

// ------------------------------------------------------------ the leaf checks

export class RuleCheck extends Check {
  /** the rule this names, resolved once per rule set (a reload brings a new set) */
  private resolvedIn: RuleLookup | undefined;
  private resolved: Check | undefined;
  constructor(readonly match: string) {
    super();
  }
  evaluate(target: PolicyDict, creds: PolicyDict, rules: RuleLookup): boolean {
    if (this.resolvedIn !== rules) {
      this.resolved = rules.ruleFor(this.match);
      this.resolvedIn = rules;
    }
    const rule = this.resolved;
    return rule ? rule.evaluate(target, creds, rules) : false;
  }
  toString(): string {
    return `rule:${this.match}`;
  }
}

const lowerRoles = new WeakMap<readonly unknown[], ReadonlySet<string>>();

/**
 * Where credentials built for repeated use may carry their role names
 * lower-cased (src/auth/caller.ts does), saving the look-up below.
 */
export const LOWERCASE_ROLES = Symbol('lower-cased role names');

export function lowercaseRoleSet(roles: readonly unknown[]): ReadonlySet<string> {
  return new Set(roles.map((r) => String(r).toLowerCase()));
}

/** The credentials' role names, lower-cased once per roles array. */
function roleSet(creds: PolicyDict): ReadonlySet<string> | undefined {
  const own = (creds as { [LOWERCASE_ROLES]?: ReadonlySet<string> })[LOWERCASE_ROLES];
  if (own) return own;
  const roles = creds.roles;
  if (!Array.isArray(roles)) return undefined;
  let set = lowerRoles.get(roles);
  if (!set) {
    set = lowercaseRoleSet(roles);
    lowerRoles.set(roles, set);
  }
  return set;
}

export class RoleCheck extends Check {
  private readonly template: MatchTemplate;
  private readonly lowered: string | undefined;
  constructor(readonly match: string) {
    super();
    this.template = MatchTemplate.parse(match);
    this.lowered = this.template.constant?.toLowerCase();
  }
  evaluate(target: PolicyDict, creds: PolicyDict): boolean {
    const wanted = this.lowered ?? this.template.render(target)?.toLowerCase();
    if (wanted === undefined) return false;
    return roleSet(creds)?.has(wanted) ?? false;
  }
  toString(): string {
    return `role:${this.match}`;
  }
}

/** ast.literal_eval for the literals a policy KIND can be; undefined when KIND is not a literal. */
export function pythonLiteral(kind: string): string | undefined {
  const s = kind.trim();
  if (s.length >= 2 && (s[0] === "'" || s[0] === '"') && s[s.length - 1] === s[0]) {
    const body = s.slice(1, -1);
    if (body.includes(s[0])) return undefined;
    return body.replace(
      /\\(.)/g,
      (_m, c: string) => (({ n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' }) as Record<string, string>)[c] ?? `\\${c}`,
    );
  }
  if (s === 'True' || s === 'False' || s === 'None') return s;
  if (/^[+-]?\d+$/.test(s) && !/^[+-]?0\d/.test(s)) return BigInt(s).toString();
  if (/^[+-]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][+-]?\d+)$/.test(s)) {
    const n = Number(s);
    return Number.isInteger(n) && Math.abs(n) < 1e16 ? `${n}.0` : String(n);
  }
  return undefined;
}

export class GenericCheck extends Check {
  private readonly template: MatchTemplate;
  private readonly literal: string | undefined;
  private readonly path: readonly string[];
  constructor(
    readonly kind: string,
    readonly match: string,
  ) {
    super();
    this.template = MatchTemplate.parse(match);
    this.literal = pythonLiteral(kind);
    this.path = kind.split('.');
  }
  evaluate(target: PolicyDict, creds: PolicyDict): boolean {
    const match = this.template.render(target);
    if (match === undefined) return false;
    if (this.literal !== undefined) return match === this.literal;
    return findIn(creds, this.path, 0, match);
  }
  toString(): string {
    return `${this.kind}:${this.match}`;
  }
}

/** oslo.policy's _find_in_dict: the path into the credentials, searching lists element by element. */
function findIn(value: unknown, path: readonly string[], at: number, match: string): boolean {
  for (; at < path.length; at++) {
    if (!isPlainObject(value)) return false;
    const next = value[path[at]];
    if (next === undefined || typeof next === 'function') return false;
    if (Array.isArray(next)) {
      for (const element of next) if (findIn(element, path, at + 1, match)) return true;
      return false;
    }
    value = next;
  }
  return typeof value === 'string' ? value === match : match === pyStr(value);
}
