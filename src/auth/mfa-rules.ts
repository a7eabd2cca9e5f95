/**
 * Keystone's UserMFARulesValidator: a user's multi_factor_auth_rules (a list
 * of method lists) are met when the methods used cover one rule, counting
 * only the rule's methods that are enabled in [auth] methods (so a
 * configuration change cannot lock users out). Rules are ignored when the
 * user's multi_factor_auth_enabled option is false or there are none.
 */
import type { UserOptions } from '../identity/user-options.js';

/** The rules as Keystone parses them: malformed entries dropped, duplicates removed. */
export function parseRules(rules: unknown): string[][] {
  if (!Array.isArray(rules)) return [];
  const out: string[][] = [];
  for (const r of rules) {
    if (!Array.isArray(r) || r.length === 0 || !r.every((m) => typeof m === 'string')) continue;
    out.push([...new Set(r as string[])]);
  }
  return out;
}

export function mfaSatisfied(options: UserOptions, usedMethods: ReadonlySet<string>, enabledMethods: readonly string[]): boolean {
  const rules = parseRules(options.multi_factor_auth_rules);
  if (rules.length === 0 || options.multi_factor_auth_enabled === false) return true;
  const enabled = new Set(enabledMethods);
  return rules.some((rule) => rule.filter((m) => enabled.has(m)).every((m) => usedMethods.has(m)));
}

/** The receipt's required_auth_methods: each rule (enabled methods only) that shares a method with those done. */
export function requiredMethods(options: UserOptions, doneMethods: readonly string[], enabledMethods: readonly string[]): string[][] {
  const enabled = new Set(enabledMethods);
  const done = new Set(doneMethods);
  const out: string[][] = [];
  for (const rule of parseRules(options.multi_factor_auth_rules)) {
    const active = rule.filter((m) => enabled.has(m));
    if (active.some((m) => done.has(m))) out.push(active);
  }
  return out;
}
