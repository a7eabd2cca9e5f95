import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../../src/config/load-config.js';
import { parseIni } from '../../src/config/ini-parser.js';
import { generateSample } from '../../src/config/generate-sample.js';

function withFiles(files: Record<string, string>, fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'keystone-conf-'));
  try {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('keystone.conf loading', () => {
  test("defaults are Keystone's", () => {
    const { conf } = loadConfig({});
    assert.equal(conf.DEFAULT.max_param_size, 64);
    assert.equal(conf.DEFAULT.max_token_size, 255);
    assert.equal(conf.token.provider, 'fernet');
    assert.equal(conf.token.expiration, 3600);
    assert.equal(conf.fernet_tokens.max_active_keys, 3);
    assert.equal(conf.identity.password_hash_algorithm, 'bcrypt');
    assert.equal(conf.identity.max_password_length, 4096);
    assert.equal(conf.oslo_middleware.max_request_body_size, 114688);
    assert.equal(conf.eventlet_server.public_port, 5000);
    assert.equal(conf.eventlet_server.admin_port, 35357);
    assert.deepEqual(conf.auth.methods, ['external', 'password', 'token', 'oauth1', 'mapped', 'application_credential']);
    assert.equal(conf.DEFAULT.list_limit, null);
  });

  test('later files override earlier ones, and --config-dir files come after, in name order', () => {
    withFiles(
      {
        'a.conf': '[token]\nexpiration = 100\n[DEFAULT]\ndebug = true\n',
        'b.conf': '[token]\nexpiration = 200\n',
        'd/10-x.conf': '[token]\nexpiration = 300\n',
        'd/20-y.conf': '[token]\nprovider = uuid\n',
        'd/ignored.txt': '[token]\nexpiration = 999\n',
      },
      (dir) => {
        const { conf, files } = loadConfig({ configFiles: [join(dir, 'a.conf'), join(dir, 'b.conf')], configDirs: [join(dir, 'd')] });
        assert.equal(conf.token.expiration, 300);
        assert.equal(conf.token.provider, 'uuid');
        assert.equal(conf.DEFAULT.debug, true);
        assert.equal(files.length, 4);
      },
    );
  });

  test('$option and ${section.option} interpolation', () => {
    withFiles(
      {
        'k.conf':
          '[DEFAULT]\nstate_path = /srv/ks\n[fernet_tokens]\nkey_repository = $state_path/fernet\n[credential]\nkey_repository = ${fernet_tokens.key_repository}-cred\n[database]\nconnection = pglite://$state_path/db\n',
      },
      (dir) => {
        const { conf } = loadConfig({ configFiles: [join(dir, 'k.conf')] });
        assert.equal(conf.fernet_tokens.key_repository, '/srv/ks/fernet');
        assert.equal(conf.credential.key_repository, '/srv/ks/fernet-cred');
        assert.equal(conf.database.connection, 'pglite:///srv/ks/db');
      },
    );
  });

  test('lists, multi-valued options, booleans and continuation lines', () => {
    withFiles(
      {
        'k.conf':
          '[auth]\nmethods = password, token ,application_credential\n[cache]\nenabled = Yes\nbackend_argument = url:redis://h:1/0\nbackend_argument = db:2\n[DEFAULT]\nadmin_endpoint = http://x\n  /y\n',
      },
      (dir) => {
        const { conf } = loadConfig({ configFiles: [join(dir, 'k.conf')] });
        assert.deepEqual(conf.auth.methods, ['password', 'token', 'application_credential']);
        assert.equal(conf.cache.enabled, true);
        assert.deepEqual(conf.cache.backend_argument, ['url:redis://h:1/0', 'db:2']);
        assert.equal(conf.DEFAULT.admin_endpoint, 'http://x\n/y');
      },
    );
  });

  test('unknown options and sections warn; ignored options warn; nothing fails', () => {
    withFiles({ 'k.conf': '[token]\nno_such_option = 1\n[keystone_authtoken]\nx = 1\n[cache]\nmemcache_servers = a:1\n' }, (dir) => {
      const { warnings } = loadConfig({ configFiles: [join(dir, 'k.conf')] });
      assert.ok(warnings.some((w) => w.includes('[token] no_such_option')));
      assert.ok(warnings.some((w) => w.includes('[keystone_authtoken]')));
      assert.ok(warnings.some((w) => w.includes('memcache_servers')));
    });
  });

  test('a bad value stops loading with a message naming section, option and value', () => {
    const cases: [string, RegExp][] = [
      ['[token]\nexpiration = soon\n', /\[token\] expiration: "soon" \(expected an integer\)/],
      ['[token]\nprovider = pki\n', /\[token\] provider: "pki" \(must be one of fernet, jws, uuid\)/],
      ['[DEFAULT]\ndebug = maybe\n', /\[DEFAULT\] debug: "maybe"/],
      ['[eventlet_server]\npublic_port = 70000\n', /\[eventlet_server\] public_port: "70000" \(must be <= 65535\)/],
      ['[fernet_tokens]\nkey_repository = $nothing_here/x\n', /nothing_here/],
    ];
    for (const [text, message] of cases) {
      withFiles({ 'k.conf': text }, (dir) => {
        assert.throws(
          () => loadConfig({ configFiles: [join(dir, 'k.conf')] }),
          (err: Error) => err instanceof ConfigError && message.test(err.message),
        );
      });
    }
  });

  test('a missing file or a syntax error is a ConfigError', () => {
    assert.throws(() => loadConfig({ configFiles: ['/nonexistent/keystone.conf'] }), ConfigError);
    assert.throws(() => parseIni('no section = 1\n', 'x.conf'), /option outside of any \[section\]/);
  });

  test('conf/keystone.conf.sample is generated from the option table and is not stale', () => {
    const sample = readFileSync(new URL('../../../conf/keystone.conf.sample', import.meta.url), 'utf8');
    assert.equal(sample, generateSample(), 'conf/keystone.conf.sample is stale: run `npm run gen-config`');
  });

  test('a front-proxy list ([federation], [external_auth], [oauth2] trusted_proxies) with an entry that is no address or network stops the load, naming the option', () => {
    for (const section of ['federation', 'external_auth', 'oauth2']) {
      withFiles({ 'keystone.conf': `[${section}]\ntrusted_proxies = 127.0.0.1, 10.0.0.0/33\n` }, (dir) => {
        assert.throws(
          () => loadConfig({ configFiles: [join(dir, 'keystone.conf')] }),
          (err: Error) => err.message.includes(`[${section}] trusted_proxies`) && /prefix length/.test(err.message),
        );
      });
      withFiles({ 'keystone.conf': `[${section}]\ntrusted_proxies = 127.0.0.1, ::1, 10.0.0.0/8\n` }, (dir) => {
        assert.deepEqual(loadConfig({ configFiles: [join(dir, 'keystone.conf')] }).conf[section as 'federation'].trusted_proxies, [
          '127.0.0.1',
          '::1',
          '10.0.0.0/8',
        ]);
      });
    }
  });
});
