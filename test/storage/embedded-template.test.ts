/**
 * The build's initdb template (src/storage/embedded-template.ts): a new
 * embedded database starts from it, is an empty PostgreSQL cluster (no schema
 * of ours: db_sync still migrates), and opens again afterwards as any other.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pgPromise from 'pg-promise';
import { embeddedTemplate, embeddedTemplatePath, installedPgliteVersion } from '../../src/storage/embedded-template.js';
import { startEmbeddedHost } from '../../src/storage/embedded-host.js';

const pgp = pgPromise();

test('npm run build leaves an initdb template for the installed PGlite, and a new embedded database starts from it', async () => {
  assert.match(installedPgliteVersion(), /^\d+\.\d+\.\d+/);
  assert.ok(embeddedTemplatePath().endsWith(`pglite-initdb-${installedPgliteVersion()}.tar.gz`));
  assert.ok(embeddedTemplate(), 'the build wrote the template');
  const dir = mkdtempSync(join(tmpdir(), 'keystone-template-test-'));
  const dataDir = join(dir, 'pglite');
  try {
    for (const expectCreated of [true, false]) {
      const host = await startEmbeddedHost(dataDir, 2, { program: 'keystone-manage', publish: false });
      const db = pgp({ host: host.socketDir, database: 'postgres', user: 'postgres', max: 1 });
      try {
        assert.equal(host.created, expectCreated);
        assert.ok(existsSync(join(dataDir, 'PG_VERSION')));
        const { n } = await db.one<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'");
        if (expectCreated) {
          assert.equal(n, 0, 'the template holds no schema');
          await db.none('CREATE TABLE kept (v text)');
          await db.none("INSERT INTO kept VALUES ('written after the template')");
        } else {
          assert.equal(n, 1);
          assert.equal((await db.one<{ v: string }>('SELECT v FROM kept')).v, 'written after the template');
        }
      } finally {
        await db.$pool.end();
        await host.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
