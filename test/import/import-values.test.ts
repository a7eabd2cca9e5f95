/** The pure parts of db_import: SQLAlchemy URLs, and source values as our columns store them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSourceUrl, redactUrl, SourceUrlError } from '../../src/import/source/sqlalchemy-url.js';
import { toTargetValue, UnimportableValueError, type TargetColumn } from '../../src/import/target-values.js';
import { microsecondsToTimestamp } from '../../src/import/table-mapping.js';

const column = (dataType: string, maxLength: number | null = null): TargetColumn => ({ name: 'c', dataType, maxLength });

describe('db_import: SQLAlchemy URLs', () => {
  it('reads the dialects Keystone deployments use, with credentials, port and socket', () => {
    assert.deepEqual(parseSourceUrl('mysql+pymysql://keystone:p%40ss@db.example.org:3307/keystone?charset=utf8'), {
      dialect: 'mysql',
      host: 'db.example.org',
      port: 3307,
      socket: undefined,
      user: 'keystone',
      password: 'p@ss',
      database: 'keystone',
    });
    assert.equal(parseSourceUrl('mysql://k:k@localhost/keystone?unix_socket=/run/mysqld/mysqld.sock').socket, '/run/mysqld/mysqld.sock');
    assert.equal(parseSourceUrl('postgresql+psycopg2://k@127.0.0.1/keystone').dialect, 'postgresql');
    assert.equal(parseSourceUrl('postgresql://k@127.0.0.1/keystone').dialect, 'postgresql');
  });
  it('refuses other URLs with a message that hides the password', () => {
    assert.throws(() => parseSourceUrl('sqlite:////var/lib/keystone/keystone.db'), SourceUrlError);
    assert.throws(
      () => parseSourceUrl('mysql+pymysql://k:secret@db/'),
      (err: Error) => /names no database/.test(err.message) && !err.message.includes('secret'),
    );
    assert.equal(redactUrl('mysql://k:secret@db/keystone'), 'mysql://k:***@db/keystone');
  });
});

describe('db_import: values as our columns store them', () => {
  it('booleans from MySQL tinyints and PostgreSQL booleans', () => {
    assert.equal(toTargetValue(1, column('boolean')), true);
    assert.equal(toTargetValue(0, column('boolean')), false);
    assert.equal(toTargetValue(true, column('boolean')), true);
    assert.equal(toTargetValue(null, column('boolean')), null);
  });
  it('naive UTC DATETIME text and timestamptz text become the same instant, microseconds kept', () => {
    assert.equal(toTargetValue('2024-05-06 07:08:09', column('timestamp with time zone')), '2024-05-06T07:08:09.000000Z');
    assert.equal(toTargetValue('2024-05-06 07:08:09.123456', column('timestamp with time zone')), '2024-05-06T07:08:09.123456Z');
    assert.equal(toTargetValue('2024-05-06 09:08:09.5+02', column('timestamp with time zone')), '2024-05-06T07:08:09.500000Z');
    assert.throws(() => toTargetValue('0000-00-00 00:00:00', column('timestamp with time zone')), UnimportableValueError);
    assert.equal(toTargetValue('2024-05-06', column('date')), '2024-05-06');
  });
  it("Keystone's microsecond integers become timestamps", () => {
    assert.equal(microsecondsToTimestamp('1700000000123456'), '2023-11-14T22:13:20.123456Z');
    assert.equal(microsecondsToTimestamp(null), null);
  });
  it('text our column cannot hold is refused with the reason', () => {
    assert.equal(toTargetValue('ünïcødé', column('character varying', 7)), 'ünïcødé');
    assert.throws(() => toTargetValue('a\u0000b', column('text')), /NUL character/);
    assert.throws(() => toTargetValue('12345678', column('character varying', 7)), /8 characters long, more than the 7/);
    assert.equal(toTargetValue(Buffer.from('blob'), column('text')), 'blob');
    assert.equal(toTargetValue('42', column('integer')), 42);
  });
});
