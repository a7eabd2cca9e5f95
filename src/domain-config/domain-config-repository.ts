/** The SQL backend of domain-specific configuration options (values stored as JSON text). */
import type { Queryable } from '../storage/database.js';
import type { ConfigValue } from './domain-config-options.js';
import type { ConfigOptionFilter, ConfigOptionRow, DomainConfigBackend } from './domain-config-backend.js';

export class DomainConfigRepository implements DomainConfigBackend {
  constructor(private readonly db: Queryable) {}

  async list(domainId: string, options: ConfigOptionFilter = {}): Promise<ConfigOptionRow[]> {
    const tables =
      options.sensitive === undefined
        ? ['whitelisted_config', 'sensitive_config']
        : [options.sensitive ? 'sensitive_config' : 'whitelisted_config'];
    const out: ConfigOptionRow[] = [];
    for (const table of tables) {
      const rows = await this.db.any<{ group: string; option: string; value: string }>(
        `SELECT "group", option, value FROM ${table} WHERE domain_id = $1${options.group ? ' AND "group" = $2' : ''}${options.option ? ' AND option = $3' : ''} ORDER BY "group", option`,
        [domainId, options.group, options.option],
      );
      for (const r of rows)
        out.push({ group: r.group, option: r.option, value: JSON.parse(r.value) as ConfigValue, sensitive: table === 'sensitive_config' });
    }
    return out;
  }

  async upsert(domainId: string, rows: ConfigOptionRow[]): Promise<void> {
    for (const r of rows) {
      const table = r.sensitive ? 'sensitive_config' : 'whitelisted_config';
      await this.db.none(
        `INSERT INTO ${table} (domain_id, "group", option, value) VALUES ($1, $2, $3, $4)
         ON CONFLICT (domain_id, "group", option) DO UPDATE SET value = EXCLUDED.value`,
        [domainId, r.group, r.option, JSON.stringify(r.value)],
      );
    }
  }

  async delete(domainId: string, group?: string, option?: string): Promise<void> {
    for (const table of ['whitelisted_config', 'sensitive_config']) {
      await this.db.none(
        `DELETE FROM ${table} WHERE domain_id = $1${group ? ' AND "group" = $2' : ''}${option ? ' AND option = $3' : ''}`,
        [domainId, group, option],
      );
    }
  }
}
