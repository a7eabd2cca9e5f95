import { PolicyEnforcer } from '../../../rbac/policy-enforcer.js';
import type { CliConfig } from '../../cli-config.js';

/** The configuration's warnings, options unsafe in production, and the policy's undefined rule references. */
export function configurationProblems(config: CliConfig): string[] {
  const { conf } = config;
  const problems: string[] = [];
  for (const w of config.warnings) problems.push(`configuration: ${w}`);
  if (conf.DEFAULT.admin_token)
    problems.push(
      '[DEFAULT] admin_token is set: this shared secret grants full access; remove it once bootstrapped (use `keystone-manage bootstrap`).',
    );
  if (conf.DEFAULT.debug) problems.push('[DEFAULT] debug is enabled: debug mode logs sensitive details; disable it in production.');
  if (conf.DEFAULT.insecure_debug)
    problems.push('[DEFAULT] insecure_debug is enabled: clients see internal details; disable it in production.');
  if (conf.security_compliance.password_regex && !conf.security_compliance.password_regex_description) {
    problems.push(
      '[security_compliance] password_regex is set without password_regex_description: users will not be told what a valid password is.',
    );
  }
  try {
    const policy = PolicyEnforcer.fromConfig(conf);
    for (const { rule, references } of policy.undefinedReferences())
      problems.push(`policy: rule "${rule}" refers to rule:${references}, which is not defined.`);
  } catch (err) {
    problems.push(`[oslo_policy] policy_file: ${(err as Error).message}`);
  }
  return problems;
}
