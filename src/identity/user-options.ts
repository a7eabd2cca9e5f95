/** Keystone's user options and the ids they are stored under (user_option.option_id). */
export const USER_OPTIONS = {
  ignore_change_password_upon_first_use: { id: '1000', kind: 'boolean' },
  ignore_password_expiry: { id: '1001', kind: 'boolean' },
  ignore_lockout_failure_attempts: { id: '1002', kind: 'boolean' },
  lock_password: { id: '1003', kind: 'boolean' },
  ignore_user_inactivity: { id: '1004', kind: 'boolean' },
  multi_factor_auth_rules: { id: 'MFAR', kind: 'rules' },
  multi_factor_auth_enabled: { id: 'MFAE', kind: 'boolean' },
} as const;

export type UserOptionName = keyof typeof USER_OPTIONS;
export type UserOptions = Partial<{ [K in UserOptionName]: K extends 'multi_factor_auth_rules' ? string[][] : boolean }>;

const NAME_BY_ID = new Map<string, UserOptionName>(Object.entries(USER_OPTIONS).map(([name, o]) => [o.id, name as UserOptionName]));

export function userOptionName(optionId: string): UserOptionName | undefined {
  return NAME_BY_ID.get(optionId);
}

/**
 * The JSON schema of `options` in user bodies (Keystone's
 * USER_OPTIONS_REGISTRY.json_schema): every option nullable (null removes
 * it), multi_factor_auth_rules a list of non-empty lists of unique method
 * names, with no list repeated.
 */
export const USER_OPTIONS_SCHEMA = {
  type: 'object',
  properties: {
    ignore_change_password_upon_first_use: { type: ['boolean', 'null'] },
    ignore_password_expiry: { type: ['boolean', 'null'] },
    ignore_lockout_failure_attempts: { type: ['boolean', 'null'] },
    lock_password: { type: ['boolean', 'null'] },
    ignore_user_inactivity: { type: ['boolean', 'null'] },
    multi_factor_auth_rules: {
      type: ['array', 'null'],
      items: { type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true },
      uniqueItems: true,
    },
    multi_factor_auth_enabled: { type: ['boolean', 'null'] },
  },
  additionalProperties: false,
} as const;
