/**
 * Grant step 2: the owner's MFA rules against the methods used (Keystone's
 * UserMFARulesValidator). A user's multi_factor_auth_rules (a list of method
 * lists) are met when the methods used cover one rule, counting only the
 * rule's methods that are enabled in [auth] methods (so a configuration
 * change cannot lock users out). Rules are ignored when the user's
 * multi_factor_auth_enabled option is false or there are none. Unmet: v3
 * answers with a receipt (a 401 naming the methods done and the rules still
 * open), v2.0 and EC2/S3 with a plain 401.
 */
import { Unauthorized } from '../../common/errors.js';
import type { UserOptions } from '../../identity/user-options.js';
import { AUTH_RECEIPT_HEADER, type ReceiptProvider } from '../../receipt/receipt-provider.js';
import type { GrantOwner } from './check-owner.js';
import type { GrantOptions } from './grant-input.js';

/** The rules as Keystone parses them: malformed entries dropped, duplicates removed. */
export function parseRules(rules: unknown): string[][] {
  if (!Array.isArray(rules)) return [];
  const out: string[][] = [];
  for (const r of rules) {
    if (!Array.isArray(r) || r.length === 0 || !r.every((m) => typeof m === 'string')) continue;
    out.push([...new Set(r)]);
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

/** 401 with the receipt body and header (Keystone's InsufficientAuthMethods → build_receipt). */
export class AuthReceiptRequired extends Unauthorized {
  /** Keystone's InsufficientAuthMethods message, the words of a path that hands out no receipt (OAuth 2.0) */
  readonly insufficient: string;
  constructor(receiptId: string, body: unknown, userId: string, methods: readonly string[]) {
    super('Additional authentications steps required.');
    this.insufficient = `Insufficient auth methods received for ${userId}. Auth Methods Provided: [${methods.join(',')}].`;
    this.headers = { [AUTH_RECEIPT_HEADER]: receiptId };
    this.body = body;
  }
}

export function checkMfa(
  receipts: Pick<ReceiptProvider, 'issue'>,
  enabledMethods: readonly string[],
  owner: GrantOwner,
  usedMethods: readonly string[],
  options: GrantOptions,
): void {
  const { user, domain } = owner;
  if (mfaSatisfied(user.options, new Set(usedMethods), enabledMethods)) return;
  if (!options.receipts) throw new Unauthorized();
  const methods = [...usedMethods];
  const issued = receipts.issue(user.id, methods);
  throw new AuthReceiptRequired(
    issued.id,
    {
      receipt: {
        expires_at: issued.expiresAt,
        issued_at: issued.issuedAt,
        methods,
        user: { domain: { id: domain.id, name: domain.name }, id: user.id, name: user.name },
      },
      required_auth_methods: requiredMethods(user.options, methods, enabledMethods),
    },
    user.id,
    methods,
  );
}
