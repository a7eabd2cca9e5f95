/**
 * db_import from a Keystone 22 on PostgreSQL: a database created on the
 * machine's PostgreSQL (127.0.0.1:5432) for this file and dropped after.
 * Runs with CI=true or KEYSTONE_TEST_POSTGRES=1.
 */
import { randomBytes } from 'node:crypto';
import pgPromise from 'pg-promise';
import { keystone22Unavailable } from '../helpers/keystone-python.js';
import { POSTGRES_ADMIN_URL } from '../helpers/test-database.js';
import { describeTakeover } from './takeover-suite.js';

const wanted = process.env.CI === 'true' || process.env.KEYSTONE_TEST_POSTGRES === '1';
const why = wanted ? keystone22Unavailable() : 'PostgreSQL tests run with CI=true or KEYSTONE_TEST_POSTGRES=1';
if (wanted && why) throw new Error(`PostgreSQL tests asked for but ${why}`);

const pgp = pgPromise();

describeTakeover('db_import: take over a Keystone 22 on PostgreSQL', why ?? false, async () => {
  const name = `keystone_src_${randomBytes(6).toString('hex')}`;
  const admin = pgp(POSTGRES_ADMIN_URL);
  await admin.none('CREATE DATABASE $1:name', [name]);
  const adminUrl = new URL(POSTGRES_ADMIN_URL);
  adminUrl.pathname = '/' + name;
  const db = pgp(adminUrl.toString());
  return {
    dialect: 'postgresql',
    url: adminUrl.toString().replace(/^postgres(ql)?:/, 'postgresql+psycopg2:'),
    exec: async (sql, values) => {
      await db.none(sql, values);
    },
    setPasswordHashSql: 'UPDATE password SET password_hash = $1 WHERE local_user_id = (SELECT id FROM local_user WHERE user_id = $2)',
    stop: async () => {
      await db.$pool.end();
      await admin.none('DROP DATABASE IF EXISTS $1:name WITH (FORCE)', [name]);
      await admin.$pool.end();
    },
  };
});
