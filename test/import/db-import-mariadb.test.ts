/** db_import from a Keystone 22 on MariaDB (a private mariadbd started for this file). */
import { keystone22Unavailable } from '../helpers/keystone-python.js';
import { mariaDbUnavailable, startPrivateMariaDb } from '../helpers/mariadb.js';
import { describeTakeover } from './takeover-suite.js';

const why = mariaDbUnavailable() ?? keystone22Unavailable();
if (why && process.env.CI === 'true') throw new Error(`CI=true but ${why}`);

describeTakeover('db_import: take over a Keystone 22 on MariaDB', why ?? false, async () => {
  const maria = await startPrivateMariaDb();
  const url = await maria.createDatabase('keystone');
  return {
    dialect: 'mysql',
    url,
    exec: async (sql, values) => {
      await maria.query(sql, values);
    },
    setPasswordHashSql: 'UPDATE password SET password_hash = ? WHERE local_user_id = (SELECT id FROM local_user WHERE user_id = ?)',
    stop: () => maria.stop(),
  };
});
