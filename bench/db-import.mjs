#!/usr/bin/env node
// node bench/db-import.mjs — how long keystone-manage db_import takes at scale (issue 17), after `npm run build`.
//
// A private MariaDB (Debian's mariadb-server) gets Keystone 22's own schema (its keystone-manage db_sync and
// bootstrap), then bulk SQL (MariaDB's sequence engine) adds USERS users (user, local_user, password rows with
// one bcrypt hash), PROJECTS projects and ASSIGNMENTS UserProject grants (USERS × ASSIGNMENTS/USERS projects).
// The target is a fresh database of ours: the embedded PGlite (TARGET=pglite, default) or a new database on the
// machine's PostgreSQL (TARGET=postgres, 127.0.0.1:5432, dropped after). Measured: the first import, a second
// run with nothing changed, and a run after 1% of the users changed. Defaults: USERS=100000 ASSIGNMENTS=1000000.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pgPromise from 'pg-promise';

const root = new URL('..', import.meta.url).pathname;
const { startPrivateMariaDb } = await import(join(root, 'dist/test/helpers/mariadb.js'));
const { prepareKeystone22 } = await import(join(root, 'dist/test/helpers/keystone-python.js'));
const USERS = Number(process.env.USERS ?? 100_000);
const ASSIGNMENTS = Number(process.env.ASSIGNMENTS ?? 1_000_000);
const PROJECTS = Number(process.env.PROJECTS ?? 1000);
const TARGET = process.env.TARGET ?? 'pglite';
const perUser = Math.max(1, Math.round(ASSIGNMENTS / USERS));

const maria = await startPrivateMariaDb();
const dir = mkdtempSync(join(tmpdir(), 'bench-db-import-'));
const pgp = pgPromise();
let targetDb;
try {
  const url = await maria.createDatabase('keystone');
  const keystone = await prepareKeystone22(url, { adminPassword: 'bench' });
  const t0 = Date.now();
  const [{ member }] = await maria.query("SELECT id AS member FROM role WHERE name = 'member'");
  const hash = '$2b$04$I5rfLrrDDIbK/luIskDFj.lTHKBIDJrCd.NYuSEgQeMaLbztT95Wa';
  await maria.query(
    `INSERT INTO project (id, name, extra, description, enabled, domain_id, parent_id, is_domain)
     SELECT CONCAT('p', LPAD(seq, 8, '0')), CONCAT('project-', seq), '{}', '', 1, 'default', 'default', 0 FROM seq_1_to_${PROJECTS}`,
  );
  await maria.query(
    `INSERT INTO user (id, extra, enabled, domain_id, created_at)
     SELECT CONCAT('u', LPAD(seq, 8, '0')), '{"email": "x@example.org"}', 1, 'default', NOW() FROM seq_1_to_${USERS}`,
  );
  await maria.query(
    `INSERT INTO local_user (user_id, domain_id, name) SELECT CONCAT('u', LPAD(seq, 8, '0')), 'default', CONCAT('user-', seq) FROM seq_1_to_${USERS}`,
  );
  await maria.query(
    `INSERT INTO password (local_user_id, self_service, password_hash, created_at_int, created_at)
     SELECT id, 0, ?, 1700000000000000, NOW() FROM local_user WHERE name LIKE 'user-%'`,
    [hash],
  );
  await maria.query(
    `INSERT INTO assignment (type, actor_id, target_id, role_id, inherited)
     SELECT 'UserProject', CONCAT('u', LPAD(u.seq, 8, '0')), CONCAT('p', LPAD(1 + (u.seq * 7 + p.seq * 13) % ${PROJECTS}, 8, '0')), ?, 0
       FROM seq_1_to_${USERS} u JOIN seq_1_to_${perUser} p`,
    [member],
  );
  const [{ n }] = await maria.query('SELECT count(*) AS n FROM assignment');
  console.log(
    `source: ${USERS} users, ${PROJECTS} projects, ${n} assignments in MariaDB (filled in ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );

  let connection = '';
  let dbName = '';
  if (TARGET === 'postgres') {
    dbName = `bench_import_${process.pid}`;
    targetDb = pgp('postgresql://postgres@127.0.0.1:5432/postgres');
    await targetDb.none('CREATE DATABASE $1:name', [dbName]);
    connection = `postgresql://postgres@127.0.0.1:5432/${dbName}`;
  }
  const conf = join(dir, 'keystone.conf');
  writeFileSync(conf, `[DEFAULT]\nstate_path = ${dir}\n[database]\nconnection = ${connection}\n`);
  const manage = (...args) => {
    const started = Date.now();
    const r = spawnSync(process.execPath, [join(root, 'bin/keystone-manage'), '--config-file', conf, ...args], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      // VERBOSE=1: keystone-manage's progress lines as they come
      stdio: ['ignore', 'pipe', process.env.VERBOSE ? 'inherit' : 'pipe'],
    });
    if (r.status !== 0) throw new Error(`keystone-manage ${args.join(' ')}: ${(r.stderr ?? '').slice(-2000)}`);
    return { seconds: (Date.now() - started) / 1000, stdout: r.stdout };
  };
  manage('db_sync');
  const rows = [];
  const first = manage('db_import', '--from', url);
  rows.push(['first import', first]);
  rows.push(['second run, nothing changed', manage('db_import', '--from', url)]);
  await maria.query(`UPDATE user SET enabled = 0 WHERE id <= CONCAT('u', LPAD(${Math.round(USERS / 100)}, 8, '0'))`);
  rows.push(['after 1% of the users changed', manage('db_import', '--from', url)]);
  console.log(`\ntarget: ${TARGET === 'postgres' ? 'PostgreSQL (127.0.0.1:5432)' : 'embedded PGlite'}\n`);
  console.log('| run | seconds | summary |');
  console.log('|---|---:|---|');
  for (const [what, r] of rows) {
    const summary = r.stdout.split('\n').find((l) => / rows read from /.test(l)) ?? '';
    console.log(`| ${what} | ${r.seconds.toFixed(1)} | ${summary.replace(/ from MySQL\/MariaDB database [^;]+/, '')} |`);
  }
  keystone.remove();
  if (TARGET === 'postgres') {
    await targetDb.none('DROP DATABASE IF EXISTS $1:name WITH (FORCE)', [dbName]);
  }
} finally {
  await targetDb?.$pool.end();
  await maria.stop();
  rmSync(dir, { recursive: true, force: true });
}
