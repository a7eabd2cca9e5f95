import { writeFileSync } from 'node:fs';
import { PolicyEnforcer } from '../../../rbac/policy-enforcer.js';
import { renderEffectivePolicy } from '../../../rbac/policy-generator.js';
import { defineCommand } from '../command.js';

export const policyGenerator = defineCommand({
  help: "Print the effective policy as YAML (as oslopolicy-policy-generator --namespace keystone): the rules of [oslo_policy] policy_file and policy_dirs, then Keystone's defaults they leave alone.",
  flags: { 'output-file': { type: 'string', help: 'Write the policy to this file instead of standard output.' } },
  run({ conf, flags, out }) {
    const text = renderEffectivePolicy(PolicyEnforcer.fromConfig(conf));
    const file = flags['output-file'];
    if (file !== undefined) writeFileSync(file, text);
    else out(text.replace(/\n$/, ''));
    return 0;
  },
});
