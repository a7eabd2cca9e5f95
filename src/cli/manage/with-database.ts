import type { KeystoneConfig } from '../../config/options.js';
import { openCliDatabase, type CliDatabase } from '../cli-database.js';

/** Runs fn on the command's database (src/cli/cli-database.ts), closed afterwards whatever happens. */
export async function withDatabase<T>(
  conf: KeystoneConfig,
  fn: (d: CliDatabase) => Promise<T>,
  options: { create?: boolean } = {},
): Promise<T> {
  const d = await openCliDatabase(conf, options);
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}
