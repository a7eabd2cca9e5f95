/**
 * The policy enforcer (oslo.policy's Enforcer as Keystone uses it):
 * registered defaults overlaid with the operator's policy file and the files
 * of the policy directories, compiled once into check trees.
 *
 *   enforce(action, target, creds) → boolean, synchronously.
 *
 * `target` is the dict the rules' %(…)s read: Keystone's — the view
 * arguments at the top (user_id, …), the object under `target`
 * (target.user.domain_id). `creds` is the caller's oslo.context policy
 * values (src/auth/caller.ts policyCredentials).
 *
 * As oslo.policy:
 * - the file's rules replace the defaults of the same name; rules of the
 *   policy directories (every file in name order, dot-files skipped) are
 *   laid over the file's; the defaults fill in every name no file defines;
 * - a default with a deprecated check string is `new or deprecated` while
 *   [oslo_policy] enforce_new_defaults is false and no file defines it;
 * - an unknown rule (as action or as rule:NAME) is the
 *   [oslo_policy] policy_default_rule when that rule exists, else denied;
 * - with [oslo_policy] enforce_scope, a registered rule whose scope_types
 *   do not include the token's scope (system, domain, else project) denies;
 * - the files are re-read when they change (checked at most once per
 *   recheckIntervalMs); a file that no longer parses keeps the rules in
 *   force and logs the error.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { KeystoneConfig } from '../config/options.js';
import { log } from '../log/logger.js';
import { AndCheck, type Check, NotCheck, OrCheck, type PolicyDict, RuleCheck, type RuleLookup } from './checks.js';
import { parseRule } from './parser.js';
import { parsePolicyFileContents } from './policy-file-syntax.js';
import { configSearchDirs, findConfigFile, findPolicyFile } from './policy-location.js';
import type { RuleDefault, ScopeType } from './rule-default.js';
import { KEYSTONE_DEFAULT_RULES } from './keystone-defaults.js';

export interface PolicyEnforcerOptions {
  defaults?: readonly RuleDefault[];
  /** [oslo_policy] policy_file: absolute, or found on searchDirs */
  policyFile?: string;
  policyDirs?: readonly string[];
  defaultRule?: string;
  enforceScope?: boolean;
  enforceNewDefaults?: boolean;
  /** where relative names are looked for (src/rbac/policy-location.ts) */
  searchDirs?: readonly string[];
  /** how often enforce() looks at the files' modification times; 0: every call */
  recheckIntervalMs?: number;
}

/** A rule as a policy file holds it. */
export interface FileRule {
  name: string;
  /** the rule as written: text, or the legacy list form */
  rule: unknown;
  file: string;
}

/** One compiled rule set: replaced whole when the files change. */
class Compiled implements RuleLookup {
  constructor(
    readonly rules: Map<string, Check>,
    readonly fileRules: Map<string, FileRule>,
    /** the files read, with their modification times (ms), and the policy directories' newest times */
    public stamps: Map<string, number>,
    private readonly defaultRule: string,
  ) {}

  ruleFor(name: string): Check | undefined {
    return this.rules.get(name) ?? this.rules.get(this.defaultRule);
  }
}

export class PolicyEnforcer implements RuleLookup {
  readonly defaults: readonly RuleDefault[];
  private readonly registered: Map<string, RuleDefault>;
  private readonly defaultRule: string;
  private readonly enforceScope: boolean;
  private readonly enforceNewDefaults: boolean;
  private readonly policyFile: string;
  private readonly policyDirs: readonly string[];
  private readonly searchDirs: readonly string[];
  private readonly recheckIntervalMs: number;
  private compiled: Compiled;
  private nextCheck = 0;

  constructor(options: PolicyEnforcerOptions = {}) {
    this.defaults = options.defaults ?? KEYSTONE_DEFAULT_RULES;
    this.registered = new Map(this.defaults.map((d) => [d.name, d]));
    this.defaultRule = options.defaultRule ?? 'default';
    this.enforceScope = options.enforceScope ?? false;
    this.enforceNewDefaults = options.enforceNewDefaults ?? false;
    this.policyFile = options.policyFile ?? 'policy.yaml';
    this.policyDirs = options.policyDirs ?? ['policy.d'];
    this.searchDirs = options.searchDirs ?? configSearchDirs();
    this.recheckIntervalMs = options.recheckIntervalMs ?? 1000;
    // A policy file that does not parse at start-up stops the start-up, with its line.
    this.compiled = this.compile();
    this.nextCheck = Date.now() + this.recheckIntervalMs;
  }

  static fromConfig(conf: KeystoneConfig, extra: Partial<PolicyEnforcerOptions> = {}): PolicyEnforcer {
    const p = conf.oslo_policy;
    return new PolicyEnforcer({
      policyFile: p.policy_file,
      policyDirs: p.policy_dirs,
      defaultRule: p.policy_default_rule,
      enforceScope: p.enforce_scope,
      enforceNewDefaults: p.enforce_new_defaults,
      ...extra,
    });
  }

  /** Whether `action` allows the caller `creds` on `target`. */
  enforce(action: string, target: PolicyDict, creds: PolicyDict): boolean {
    if (this.recheckIntervalMs === 0 || Date.now() >= this.nextCheck) this.reloadIfChanged();
    if (this.enforceScope) {
      const scopes = this.registered.get(action)?.scopeTypes;
      if (scopes && scopes.length > 0 && !scopes.includes(tokenScope(creds))) return false;
    }
    const compiled = this.compiled;
    const rule = compiled.ruleFor(action);
    return rule ? rule.evaluate(target, creds, compiled) : false;
  }

  /** The compiled rule `name`, or the default rule's when there is no such rule. */
  ruleFor(name: string): Check | undefined {
    return this.compiled.ruleFor(name);
  }

  /** Whether `name` is one of the registered defaults (Keystone refuses to enforce others). */
  isRegistered(name: string): boolean {
    return this.registered.has(name);
  }

  /**
   * The effective policy as oslopolicy-policy-generator prints it: the files'
   * rules (as written), then every registered default no file overrides.
   */
  effectivePolicy(): { name: string; rule: string }[] {
    const out: { name: string; rule: string }[] = [];
    for (const fileRule of this.compiled.fileRules.values()) {
      out.push({
        name: fileRule.name,
        rule:
          typeof fileRule.rule === 'string'
            ? fileRule.rule
            : fileRule.rule === null || fileRule.rule === undefined
              ? ''
              : parseRule(fileRule.rule).toString(),
      });
    }
    for (const d of this.defaults) if (!this.compiled.fileRules.has(d.name)) out.push({ name: d.name, rule: d.check });
    return out;
  }

  /**
   * The rules that name a rule no file or default defines (oslo.policy's
   * check_rules warns of them; such a reference is the default rule, or denies).
   */
  undefinedReferences(): { rule: string; references: string }[] {
    const out: { rule: string; references: string }[] = [];
    const rules = this.compiled.rules;
    const visit = (name: string, check: Check): void => {
      if (check instanceof RuleCheck) {
        if (!rules.has(check.match)) out.push({ rule: name, references: check.match });
      } else if (check instanceof AndCheck || check instanceof OrCheck) {
        for (const inner of check.rules) visit(name, inner);
      } else if (check instanceof NotCheck) {
        visit(name, check.rule);
      }
    };
    for (const [name, check] of rules) visit(name, check);
    return out;
  }

  /** The rules read from the policy files, in order (for diagnostics and keystone-manage). */
  fileRules(): FileRule[] {
    return [...this.compiled.fileRules.values()];
  }

  /** Re-reads the files now if any changed (enforce() does this on its own, throttled). */
  reloadIfChanged(): void {
    this.nextCheck = Date.now() + this.recheckIntervalMs;
    if (!this.filesChanged()) return;
    try {
      this.compiled = this.compile();
      log.info('policy: reloaded the policy files');
    } catch (err) {
      log.error(`policy: keeping the rules in force: ${(err as Error).message}`);
      // do not retry the same broken contents on every call
      this.compiled.stamps = this.currentStamps();
    }
  }

  private locations(): { file: string | undefined; dirs: string[] } {
    const file = findPolicyFile(this.policyFile, this.searchDirs);
    const dirs: string[] = [];
    for (const d of this.policyDirs) {
      const found = findConfigFile(d, this.searchDirs);
      if (found && isDirectory(found)) dirs.push(found);
    }
    return { file, dirs };
  }

  private currentStamps(): Map<string, number> {
    const stamps = new Map<string, number>();
    const { file, dirs } = this.locations();
    if (file) stamps.set(file, mtime(file));
    for (const dir of dirs) {
      let newest = mtime(dir);
      for (const name of policyDirFiles(dir)) newest = Math.max(newest, mtime(join(dir, name)));
      stamps.set(dir, newest);
    }
    return stamps;
  }

  private filesChanged(): boolean {
    const now = this.currentStamps();
    const before = this.compiled.stamps;
    if (now.size !== before.size) return true;
    for (const [path, time] of now) if (before.get(path) !== time) return true;
    return false;
  }

  private compile(): Compiled {
    const stamps = this.currentStamps();
    const { file, dirs } = this.locations();
    const fileRules = new Map<string, FileRule>();
    const read = (path: string) => {
      for (const [name, rule] of parsePolicyFileContents(readFileSync(path, 'utf8'), path)) fileRules.set(name, { name, rule, file: path });
    };
    if (file) read(file);
    for (const dir of dirs) for (const name of policyDirFiles(dir)) read(join(dir, name));

    const rules = new Map<string, Check>();
    for (const { name, rule } of fileRules.values()) rules.set(name, parseRule(rule));
    for (const d of this.defaults) {
      if (!rules.has(d.name)) rules.set(d.name, this.defaultCheck(d, fileRules));
    }
    return new Compiled(rules, fileRules, stamps, this.defaultRule);
  }

  /** A default's check, with its deprecated rule as oslo.policy handles it. */
  private defaultCheck(d: RuleDefault, fileRules: Map<string, FileRule>): Check {
    const check = parseRule(d.check);
    const deprecated = d.deprecated;
    if (!deprecated) return check;
    const oldName = deprecated.name ?? d.name;
    const underOldName = oldName !== d.name ? fileRules.get(oldName) : undefined;
    if (underOldName) {
      // The operator overrode the rule under its old name: that override stays in force.
      const overridden = parseRule(underOldName.rule);
      if (overridden.toString() !== `rule:${d.name}`) return overridden;
    }
    if (!this.enforceNewDefaults && deprecated.check !== d.check) return new OrCheck([check, parseRule(deprecated.check)]);
    return check;
  }
}

/** The scope of the token behind `creds`, as oslo.policy tells it. */
export function tokenScope(creds: PolicyDict): ScopeType {
  if (creds.system || creds.system_scope) return 'system';
  if (creds.domain_id) return 'domain';
  return 'project';
}

/** When the file last changed: its contents (mtime) or its inode (ctime: a chmod, a rename over it, a restored mtime). */
function mtime(path: string): number {
  try {
    const st = statSync(path);
    return Math.max(st.mtimeMs, st.ctimeMs);
  } catch {
    return -1;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function policyDirFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}
