/**
 * The effective policy as text, as `oslopolicy-policy-generator --namespace
 * keystone` prints it: one `"name": "rule"` line per rule — the rules of the
 * policy files first (as written, in file order, policy.d's after the
 * file's), then every registered default no file overrides, in Keystone's
 * registration order. The result is a valid policy.yaml.
 */
import type { PolicyEnforcer } from './policy-enforcer.js';

const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

export function renderEffectivePolicy(enforcer: PolicyEnforcer): string {
  return enforcer
    .effectivePolicy()
    .map(({ name, rule }) => `${quote(name)}: ${quote(rule)}\n`)
    .join('');
}
