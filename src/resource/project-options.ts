/**
 * Keystone's project (and domain) resource options, stored in project_option
 * under a four-character id with a JSON value. The only one Keystone 22 has
 * is `immutable`.
 */
export const PROJECT_OPTIONS = {
  immutable: { id: 'IMMU', kind: 'boolean' },
} as const;

export type ProjectOptionName = keyof typeof PROJECT_OPTIONS;
export type ProjectOptions = Partial<Record<ProjectOptionName, boolean>>;

const NAME_BY_ID = new Map<string, ProjectOptionName>(
  Object.entries(PROJECT_OPTIONS).map(([name, o]) => [o.id, name as ProjectOptionName]),
);

export function projectOptionName(optionId: string): ProjectOptionName | undefined {
  return NAME_BY_ID.get(optionId);
}

/** The JSON schema of `options` in project and domain bodies: every option nullable (null removes it). */
export const PROJECT_OPTIONS_SCHEMA = {
  type: 'object',
  properties: { immutable: { type: ['boolean', 'null'] } },
  additionalProperties: false,
} as const;

export function isImmutable(options: Record<string, unknown>): boolean {
  return options.immutable === true;
}
