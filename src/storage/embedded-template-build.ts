/**
 * `npm run build`'s last step: runs PGlite's initdb once in a temporary
 * directory and writes the result where embedded-template.ts looks for it.
 * Nothing of ours is in it (no schema, no data): db_sync still runs the
 * migrations on every new database.
 */
import { PGlite } from '@electric-sql/pglite';
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedTemplatePath } from './embedded-template.js';

const target = embeddedTemplatePath();
if (!existsSync(target)) {
  const dir = mkdtempSync(join(tmpdir(), 'keystone-pglite-template-'));
  try {
    const db = await PGlite.create({ dataDir: join(dir, 'data') });
    const dump = await db.dumpDataDir('gzip');
    await db.close();
    const partial = `${target}.${String(process.pid)}`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, target);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
