/**
 * oslo.policy's rule language → a Check tree (src/rbac/checks.ts).
 *
 * Text rules are tokenized on whitespace, with leading `(` and trailing `)`
 * split off each word (a check such as `%(target.id)s` keeps its inner
 * parentheses); `and`, `or` and `not` are keywords in any case; a word in
 * quotes is a string token, which the grammar has no place for. Tokens are
 * reduced greedily as oslo.policy's shift-reduce parser does, so `and`
 * binds tighter than `or`, and `not` applies to the check after it. A rule
 * that does not reduce to one check is `!` (deny), as is a check without a
 * `kind:` part; the empty rule is `@` (allow).
 *
 * The legacy list form (policy.json of old) is an OR of ANDs:
 * [["role:admin"], ["role:member", "project_id:%(project_id)s"]]; an empty
 * list allows, a list of only empty lists denies.
 */
import { AndCheck, type Check, FalseCheck, GenericCheck, NotCheck, OrCheck, RoleCheck, RuleCheck, TrueCheck } from './checks.js';

/** A check's `kind:match` → its Check. */
export function parseCheck(text: string): Check {
  if (text === '!') return new FalseCheck();
  if (text === '@') return new TrueCheck();
  const colon = text.indexOf(':');
  if (colon < 0) return new FalseCheck();
  const kind = text.slice(0, colon);
  const match = text.slice(colon + 1);
  if (kind === 'rule') return new RuleCheck(match);
  if (kind === 'role') return new RoleCheck(match);
  return new GenericCheck(kind, match);
}

type TokenKind = '(' | ')' | 'and' | 'or' | 'not' | 'string' | 'check' | 'and_expr' | 'or_expr';

interface Token {
  kind: TokenKind;
  value: Check | string;
}

function* tokenize(rule: string): Generator<Token> {
  for (const word of rule.split(/\s+/)) {
    if (!word) continue;
    let tok = word;
    const clean = tok.replace(/^\(+/, '');
    for (let i = 0; i < tok.length - clean.length; i++) yield { kind: '(', value: '(' };
    if (!clean) continue;
    tok = clean;
    const inner = tok.replace(/\)+$/, '');
    const trail = tok.length - inner.length;
    const lowered = inner.toLowerCase();
    if (lowered === 'and' || lowered === 'or' || lowered === 'not') {
      yield { kind: lowered, value: inner };
    } else if (inner) {
      const quoted = tok.length >= 2 && (tok[0] === '"' || tok[0] === "'") && tok[tok.length - 1] === tok[0];
      if (quoted) yield { kind: 'string', value: tok.slice(1, -1) };
      else yield { kind: 'check', value: parseCheck(inner) };
    }
    for (let i = 0; i < trail; i++) yield { kind: ')', value: ')' };
  }
}

/** The reductions, tried against the end of the stack after every shift. */
const REDUCTIONS: { pattern: TokenKind[]; reduce: (values: (Check | string)[]) => Token }[] = [
  { pattern: ['(', 'check', ')'], reduce: (v) => ({ kind: 'check', value: v[1] }) },
  { pattern: ['(', 'and_expr', ')'], reduce: (v) => ({ kind: 'check', value: v[1] }) },
  { pattern: ['(', 'or_expr', ')'], reduce: (v) => ({ kind: 'check', value: v[1] }) },
  { pattern: ['check', 'and', 'check'], reduce: (v) => ({ kind: 'and_expr', value: new AndCheck([v[0] as Check, v[2] as Check]) }) },
  {
    // `a or b and c`: the and takes b from the or
    pattern: ['or_expr', 'and', 'check'],
    reduce: (v) => {
      const or = v[0] as OrCheck;
      const last = or.rules.pop() as Check;
      const and = last instanceof AndCheck ? (last.rules.push(v[2] as Check), last) : new AndCheck([last, v[2] as Check]);
      or.rules.push(and);
      return { kind: 'or_expr', value: or };
    },
  },
  {
    pattern: ['and_expr', 'and', 'check'],
    reduce: (v) => {
      (v[0] as AndCheck).rules.push(v[2] as Check);
      return { kind: 'and_expr', value: v[0] };
    },
  },
  { pattern: ['check', 'or', 'check'], reduce: (v) => ({ kind: 'or_expr', value: new OrCheck([v[0] as Check, v[2] as Check]) }) },
  { pattern: ['and_expr', 'or', 'check'], reduce: (v) => ({ kind: 'or_expr', value: new OrCheck([v[0] as Check, v[2] as Check]) }) },
  {
    pattern: ['or_expr', 'or', 'check'],
    reduce: (v) => {
      (v[0] as OrCheck).rules.push(v[2] as Check);
      return { kind: 'or_expr', value: v[0] };
    },
  },
  { pattern: ['not', 'check'], reduce: (v) => ({ kind: 'check', value: new NotCheck(v[1] as Check) }) },
];

function reduce(stack: Token[]): void {
  for (;;) {
    const match = REDUCTIONS.find(
      ({ pattern }) => stack.length >= pattern.length && pattern.every((kind, i) => stack[stack.length - pattern.length + i].kind === kind),
    );
    if (!match) return;
    const taken = stack.splice(stack.length - match.pattern.length);
    stack.push(match.reduce(taken.map((t) => t.value)));
  }
}

/** A rule in the text syntax; `!` when it does not parse. */
export function parseTextRule(rule: string): Check {
  if (!rule) return new TrueCheck();
  const stack: Token[] = [];
  for (const token of tokenize(rule)) {
    stack.push(token);
    reduce(stack);
  }
  if (stack.length !== 1 || typeof stack[0].value === 'string') return new FalseCheck();
  return stack[0].value;
}

/** The legacy list-of-lists form. */
export function parseListRule(rule: readonly unknown[]): Check {
  if (rule.length === 0) return new TrueCheck();
  const ors: Check[] = [];
  for (const inner of rule) {
    if (inner === null || inner === undefined || inner === '' || (Array.isArray(inner) && inner.length === 0)) continue;
    const ands = (Array.isArray(inner) ? inner : [inner]).map((r) => parseCheck(String(r)));
    ors.push(ands.length === 1 ? ands[0] : new AndCheck(ands));
  }
  if (ors.length === 0) return new FalseCheck();
  return ors.length === 1 ? ors[0] : new OrCheck(ors);
}

/** A rule as a policy file holds it: text, a list of lists, or nothing (allow). */
export function parseRule(rule: unknown): Check {
  if (typeof rule === 'string') return parseTextRule(rule);
  if (Array.isArray(rule)) return parseListRule(rule);
  if (rule === null || rule === undefined || rule === false || rule === 0) return new TrueCheck();
  return new FalseCheck();
}
