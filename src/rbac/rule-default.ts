/**
 * A registered policy default, as oslo.policy's RuleDefault /
 * DocumentedRuleDefault (the parts that decide anything): its name, check
 * string, the token scopes it is meant for, and the older check string it
 * replaced (OR-ed with the new one unless [oslo_policy]
 * enforce_new_defaults is set).
 */
export type ScopeType = 'system' | 'domain' | 'project';

export interface DeprecatedRule {
  /** the deprecated rule's name when it differs from the new rule's (a rename) */
  name?: string;
  check: string;
  since: string | null;
}

export interface RuleDefault {
  name: string;
  check: string;
  scopeTypes?: readonly ScopeType[];
  deprecated?: DeprecatedRule;
  deprecatedForRemoval?: { since: string | null };
}
