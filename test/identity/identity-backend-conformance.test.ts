/**
 * One identity backend suite, every backend (as dex's storage conformance):
 * what IdentityManager relies on of the store of a domain's users and
 * groups — users, passwords and failed attempts, options, groups,
 * memberships, list filters and transactions. A backend is done when it
 * passes; a new one (LDAP) joins by adding itself to IDENTITY_BACKENDS.
 *
 * The SQL backend runs on the embedded database always and on the machine's
 * PostgreSQL when CI=true (or KEYSTONE_TEST_POSTGRES=1).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../src/common/ids.js';
import type { IdentityBackend, NewUserRow } from '../../src/identity/identity-backend.js';
import { IdentityRepository } from '../../src/identity/identity-repository.js';
import { ResourceRepository } from '../../src/resource/resource-repository.js';
import { FederationRepository } from '../../src/federation/federation-repository.js';
import { ROOT_DOMAIN_ID } from '../../src/resource/resource-types.js';
import { closeDatabases, openDatabase } from '../../src/storage/database.js';
import { syncSchema } from '../../src/storage/migrator.js';
import { makeTestConfig } from '../helpers/test-config.js';
import { createTestDatabase, databaseKinds, type DatabaseKind } from '../helpers/test-database.js';

/** A backend under test, on a store that holds two domains to put users and groups in, and an identity provider. */
interface OpenBackend {
  backend: IdentityBackend;
  domainIds: [string, string];
  /** an identity provider the federated identities of users may name */
  idpId: string;
  close(): Promise<void>;
}

interface IdentityBackendCase {
  name: string;
  open(): Promise<OpenBackend>;
}

async function openSqlBackend(kind: DatabaseKind): Promise<OpenBackend> {
  const database = await createTestDatabase(kind);
  const config = makeTestConfig({ database: { connection: database.connection } });
  const db = openDatabase(config.conf, { embeddedSocketDir: database.embeddedSocketDir });
  await syncSchema(db);
  const domainIds: [string, string] = [newId(), newId()];
  const resource = new ResourceRepository(db);
  for (const id of domainIds) {
    await resource.insertProject({
      id,
      name: `domain-${id}`,
      extra: '{}',
      description: '',
      enabled: true,
      domain_id: ROOT_DOMAIN_ID,
      parent_id: null,
      is_domain: true,
    });
  }
  const idpId = `idp-${newId().slice(0, 8)}`;
  await new FederationRepository(db).insertIdentityProvider({
    id: idpId,
    enabled: true,
    description: null,
    domain_id: domainIds[0],
    authorization_ttl: null,
    remote_ids: [],
  });
  return {
    backend: new IdentityRepository(db),
    domainIds,
    idpId,
    async close() {
      await closeDatabases();
      await database.close();
      config.cleanup();
    },
  };
}

const IDENTITY_BACKENDS: IdentityBackendCase[] = databaseKinds().map((kind) => ({
  name: `SQL on ${kind}`,
  open: () => openSqlBackend(kind),
}));

for (const backendCase of IDENTITY_BACKENDS) {
  describe(`identity backend conformance: ${backendCase.name}`, () => {
    let opened: OpenBackend;
    let backend: IdentityBackend;
    let domainA: string;
    let domainB: string;

    before(async () => {
      opened = await backendCase.open();
      backend = opened.backend;
      [domainA, domainB] = opened.domainIds;
    });
    after(() => opened.close());

    const userRow = (overrides: Partial<NewUserRow> = {}): NewUserRow => ({
      id: newId(),
      name: `user-${newId().slice(0, 8)}`,
      domain_id: domainA,
      enabled: true,
      default_project_id: null,
      extra: '{}',
      ...overrides,
    });
    const addUser = async (overrides: Partial<NewUserRow> = {}) => {
      const row = userRow(overrides);
      const localId = await backend.insertUser(row);
      return { ...row, localId };
    };
    const addGroup = async (domainId = domainA, name = `group-${newId().slice(0, 8)}`) => {
      const group = { id: newId(), name, domain_id: domainId, description: 'a group', extra: '{"email":"g@example.com"}' };
      await backend.insertGroup(group);
      return group;
    };

    // ---- users ------------------------------------------------------------------------

    test('a new user is found by id and by name in its domain only, with what was stored', async () => {
      const user = await addUser({ extra: '{"email":"u@example.com"}', default_project_id: 'p-1' });
      const row = await backend.getUserRow(user.id);
      assert.ok(row);
      assert.equal(row.id, user.id);
      assert.equal(row.name, user.name);
      assert.equal(row.domain_id, domainA);
      assert.notEqual(row.enabled, false);
      assert.equal(row.default_project_id, 'p-1');
      assert.deepEqual(JSON.parse(row.extra), { email: 'u@example.com' });
      assert.equal(row.local_user_id, user.localId);
      assert.equal(row.failed_auth_count ?? 0, 0);
      assert.ok(row.created_at instanceof Date);
      assert.equal(row.last_active_at, null);
      assert.equal((await backend.getUserRowByName(user.name, domainA))?.id, user.id);
      assert.equal(await backend.getUserRowByName(user.name, domainB), null);
      assert.equal(await backend.getUserRow(newId()), null);
      assert.equal(await backend.getUserRow('x'.repeat(300)), null, 'an id no user can have is simply not found');
    });

    test('a user can start its inactivity clock at creation', async () => {
      const user = await addUser({ last_active_today: true });
      assert.notEqual((await backend.getUserRow(user.id))?.last_active_at, null);
    });

    test('a user name is unique within a domain, not across domains', async () => {
      const user = await addUser();
      await assert.rejects(backend.insertUser(userRow({ name: user.name })));
      await addUser({ name: user.name, domain_id: domainB });
    });

    test('an update changes name, enabled, default project and extra', async () => {
      const user = await addUser();
      const name = `renamed-${newId().slice(0, 8)}`;
      await backend.updateUser({ id: user.id, name, enabled: false, default_project_id: 'p-2', extra: '{"a":1}' });
      const row = await backend.getUserRow(user.id);
      assert.equal(row?.name, name);
      assert.equal(row?.enabled, false);
      assert.equal(row?.default_project_id, 'p-2');
      assert.deepEqual(JSON.parse(row?.extra ?? ''), { a: 1 });
      assert.equal((await backend.getUserRowByName(name, domainA))?.id, user.id);
      assert.equal(await backend.getUserRowByName(user.name, domainA), null);
    });

    test('a deleted user is gone, with its memberships, passwords and options', async () => {
      const user = await addUser();
      const group = await addGroup();
      await backend.addMember(user.id, group.id);
      await backend.insertPassword(user.localId, 'hash', null, false);
      await backend.setOption(user.id, '1000', 'true');
      await backend.deleteUser(user.id);
      assert.equal(await backend.getUserRow(user.id), null);
      assert.deepEqual(await backend.memberIds(group.id), []);
      assert.deepEqual(await backend.listPasswords(user.localId), []);
      assert.equal((await backend.optionsOfUsers([user.id])).get(user.id), undefined);
    });

    test("a deleted project is nobody's default project any more", async () => {
      const project = newId();
      const a = await addUser({ default_project_id: project });
      const b = await addUser({ default_project_id: 'kept' });
      await backend.unsetDefaultProject(project);
      assert.equal((await backend.getUserRow(a.id))?.default_project_id, null);
      assert.equal((await backend.getUserRow(b.id))?.default_project_id, 'kept');
    });

    test('the last-active date moves once a day at most', async () => {
      const user = await addUser();
      assert.equal(await backend.setLastActive(user.id), true);
      assert.equal(await backend.setLastActive(user.id), false);
      assert.notEqual((await backend.getUserRow(user.id))?.last_active_at, null);
    });

    test('options: set, replaced, removed by null, read for many users at once', async () => {
      const a = await addUser();
      const b = await addUser();
      await backend.setOption(a.id, '1000', 'true');
      await backend.setOption(a.id, '1000', 'false');
      await backend.setOption(a.id, '1001', '"x"');
      await backend.setOption(b.id, '1001', 'null');
      await backend.setOption(b.id, '1001', null);
      const options = await backend.optionsOfUsers([a.id, b.id]);
      const sorted = [...(options.get(a.id) ?? [])].sort((x, y) => x.option_id.localeCompare(y.option_id));
      assert.deepEqual(sorted, [
        { option_id: '1000', option_value: 'false' },
        { option_id: '1001', option_value: '"x"' },
      ]);
      assert.equal(options.get(b.id), undefined);
      assert.equal((await backend.optionsOfUsers([])).size, 0);
    });

    test("a user's federated identities: linked in order, replaced whole, one identity never linked to two users", async () => {
      const { idpId } = opened;
      const user = await addUser();
      assert.deepEqual(await backend.federatedObjectsOfUser(user.id), []);
      const linked = [
        { idp_id: idpId, protocol_id: 'saml2', unique_id: `u-${user.id}` },
        { idp_id: idpId, protocol_id: 'openid', unique_id: `o-${user.id}` },
      ];
      await backend.replaceFederatedObjects(user.id, linked, user.name);
      assert.deepEqual(await backend.federatedObjectsOfUser(user.id), linked);
      assert.equal((await backend.getFederatedUserRow(idpId, 'openid', `o-${user.id}`))?.id, user.id);
      await backend.replaceFederatedObjects(user.id, [linked[1]], user.name);
      assert.deepEqual(await backend.federatedObjectsOfUser(user.id), [linked[1]]);
      assert.equal(await backend.getFederatedUserRow(idpId, 'saml2', `u-${user.id}`), null);

      const other = await addUser();
      await assert.rejects(
        backend.transaction((repo) => repo.replaceFederatedObjects(other.id, [linked[1]], other.name)),
        (err: { code?: string }) => err.code === '23505',
      );
      assert.deepEqual(await backend.federatedObjectsOfUser(other.id), []);
      assert.deepEqual(await backend.federatedObjectsOfUser('x'.repeat(300)), []);
    });

    test('users are filtered by federated identity: IdP, protocol, unique id, and name as its display name', async () => {
      const { idpId } = opened;
      const tag = newId().slice(0, 6);
      const ann = await addUser({ name: `${tag}-ann`, domain_id: domainB });
      const bob = await addUser({ name: `${tag}-bob`, domain_id: domainB });
      await addUser({ name: `${tag}-local`, domain_id: domainB });
      await backend.replaceFederatedObjects(ann.id, [{ idp_id: idpId, protocol_id: 'saml2', unique_id: `${tag}-a` }], ann.name);
      await backend.replaceFederatedObjects(
        bob.id,
        [
          { idp_id: idpId, protocol_id: 'saml2', unique_id: `${tag}-b` },
          { idp_id: idpId, protocol_id: 'openid', unique_id: `${tag}-b` },
        ],
        'Bob Display',
      );
      const names = async (filter: Parameters<IdentityBackend['listUserRows']>[0]) =>
        (await backend.listUserRows({ domainId: domainB, ...filter })).map((r) => r.name).filter((n) => n?.startsWith(tag));
      assert.deepEqual(await names({ federated: { idpId } }), [ann.name, bob.name]);
      assert.deepEqual(await names({ federated: { idpId, protocolId: 'openid' } }), [bob.name]);
      assert.deepEqual(await names({ federated: { uniqueId: `${tag}-a` } }), [ann.name]);
      assert.deepEqual(await names({ federated: { protocolId: 'openid', uniqueId: `${tag}-a` } }), []);
      assert.deepEqual(await names({ federated: { idpId: 'no-such-idp' } }), []);
      assert.deepEqual(await names({ federated: { idpId: 'x'.repeat(300) } }), []);
      // with a federated filter, name is the matching identity's display name
      assert.deepEqual(await names({ federated: { idpId }, name: 'Bob Display' }), [bob.name]);
      assert.deepEqual(await names({ federated: { idpId }, name: bob.name }), []);
      // without one, name matches local names and federated display names, each user once
      assert.deepEqual(await names({ name: 'Bob Display' }), [bob.name]);
      assert.deepEqual(await names({ name: ann.name }), [ann.name]);
    });

    // ---- passwords and failed attempts ---------------------------------------------------

    test("passwords are listed newest first, and the newest one is the user's current one", async () => {
      const user = await addUser();
      const expires = new Date(Date.now() + 86_400_000);
      expires.setUTCMilliseconds(0);
      await backend.insertPassword(user.localId, 'first', null, false);
      await backend.insertPassword(user.localId, 'second', expires, true);
      const passwords = await backend.listPasswords(user.localId);
      assert.deepEqual(
        passwords.map((p) => p.password_hash),
        ['second', 'first'],
      );
      assert.equal(passwords[0]?.self_service, true);
      assert.equal(passwords[0]?.expires_at?.getTime(), expires.getTime());
      assert.ok(passwords[0]?.created_at instanceof Date);
      assert.deepEqual(
        (await backend.listPasswords(user.localId, 1)).map((p) => p.password_hash),
        ['second'],
      );
      const row = await backend.getUserRow(user.id);
      assert.equal(row?.password_expires_at?.getTime(), expires.getTime());
      assert.equal(row?.password_self_service, true);
    });

    test('a password entry may have no hash', async () => {
      const user = await addUser();
      await backend.insertPassword(user.localId, null, null, false);
      assert.equal((await backend.listPasswords(user.localId))[0]?.password_hash, null);
    });

    test('retiring passwords keeps the newest ones, each expired', async () => {
      const user = await addUser();
      for (const hash of ['p1', 'p2', 'p3']) await backend.insertPassword(user.localId, hash, null, false);
      await backend.retirePasswords(user.localId, 2);
      const kept = await backend.listPasswords(user.localId);
      assert.deepEqual(
        kept.map((p) => p.password_hash),
        ['p3', 'p2'],
      );
      for (const p of kept) assert.ok(p.expires_at && p.expires_at.getTime() <= Date.now() + 1000, 'a kept password is expired');
    });

    test('failed attempts: counted one at a time even when concurrent, set and cleared', async () => {
      const user = await addUser();
      await Promise.all([1, 2, 3, 4, 5].map(() => backend.incrementFailedAuth(user.localId)));
      const counted = await backend.getUserRow(user.id);
      assert.equal(counted?.failed_auth_count, 5);
      assert.ok(counted?.failed_auth_at instanceof Date);
      assert.equal((await backend.incrementFailedAuth(user.localId)).failed_auth_count, 6);
      const at = new Date(Date.now() - 60_000);
      await backend.setFailedAuth(user.localId, 2, at);
      assert.equal((await backend.getUserRow(user.id))?.failed_auth_count, 2);
      await backend.setFailedAuth(user.localId, 0, null);
      const cleared = await backend.getUserRow(user.id);
      assert.equal(cleared?.failed_auth_count, 0);
      assert.equal(cleared?.failed_auth_at, null);
    });

    // ---- list filters -------------------------------------------------------------------

    test('users are listed by name, filtered by domain, name, enabled, ids and group', async () => {
      const tag = newId().slice(0, 6);
      const zed = await addUser({ name: `${tag}-zed`, domain_id: domainB });
      const amy = await addUser({ name: `${tag}-amy`, domain_id: domainB });
      const off = await addUser({ name: `${tag}-off`, domain_id: domainB, enabled: false });
      const group = await addGroup(domainB);
      await backend.addMember(zed.id, group.id);
      await backend.addMember(off.id, group.id);
      const names = async (filter: Parameters<IdentityBackend['listUserRows']>[0]) =>
        (await backend.listUserRows(filter)).map((r) => r.name);
      assert.deepEqual(
        (await names({ domainId: domainB })).filter((n) => n?.startsWith(tag)),
        [amy.name, off.name, zed.name],
      );
      assert.deepEqual(await names({ domainId: domainB, name: amy.name }), [amy.name]);
      assert.deepEqual(await names({ name: amy.name, domainId: domainA }), []);
      assert.deepEqual(
        (await names({ domainId: domainB, enabled: false })).filter((n) => n?.startsWith(tag)),
        [off.name],
      );
      assert.ok(!(await names({ domainId: domainB, enabled: true })).includes(off.name));
      assert.deepEqual(await names({ ids: [zed.id, amy.id, newId()] }), [amy.name, zed.name]);
      assert.deepEqual(await names({ ids: [] }), []);
      assert.deepEqual(await names({ groupId: group.id }), [off.name, zed.name]);
      assert.deepEqual(await names({ groupId: group.id, enabled: true }), [zed.name]);
      assert.deepEqual(await names({ domainId: 'x'.repeat(300) }), []);
    });

    test('users are filtered by password expiry, matched against any of their passwords', async () => {
      const soon = new Date(Date.now() + 3_600_000);
      const late = new Date(Date.now() + 30 * 86_400_000);
      const a = await addUser();
      const b = await addUser();
      await backend.insertPassword(a.localId, 'a', soon, false);
      await backend.insertPassword(b.localId, 'b-old', soon, false);
      await backend.insertPassword(b.localId, 'b', late, false);
      const ids = async (op: 'lt' | 'lte' | 'gt' | 'gte' | 'eq' | 'neq', at: Date) =>
        (await backend.listUserRows({ ids: [a.id, b.id], passwordExpires: [{ op, at }] })).map((r) => r.id).sort();
      const middle = new Date(Date.now() + 86_400_000);
      assert.deepEqual(await ids('lt', middle), [a.id, b.id].sort());
      assert.deepEqual(await ids('gt', middle), [b.id]);
      assert.deepEqual(await ids('eq', late), [b.id]);
      assert.deepEqual(await ids('lte', soon), [a.id, b.id].sort());
      assert.deepEqual(await ids('gte', late), [b.id]);
      assert.deepEqual(await ids('neq', soon), [b.id]);
      const both = await backend.listUserRows({
        ids: [a.id, b.id],
        passwordExpires: [
          { op: 'gt', at: new Date() },
          { op: 'lt', at: middle },
        ],
      });
      assert.deepEqual(both.map((r) => r.id).sort(), [a.id, b.id].sort());
    });

    // ---- groups and memberships ---------------------------------------------------------

    test('a group is found by id and by name in its domain, updated and deleted', async () => {
      const group = await addGroup();
      assert.deepEqual(await backend.getGroupRow(group.id), group);
      assert.deepEqual(await backend.getGroupRowByName(group.name, domainA), group);
      assert.equal(await backend.getGroupRowByName(group.name, domainB), null);
      assert.equal(await backend.getGroupRow(newId()), null);
      const updated = { ...group, name: `${group.name}-2`, description: null, extra: '{}' };
      await backend.updateGroup(updated);
      assert.deepEqual(await backend.getGroupRow(group.id), updated);
      await backend.deleteGroup(group.id);
      assert.equal(await backend.getGroupRow(group.id), null);
    });

    test('a group name is unique within a domain, not across domains', async () => {
      const group = await addGroup();
      await assert.rejects(addGroup(domainA, group.name));
      await addGroup(domainB, group.name);
    });

    test('groups are listed by name, filtered by domain and by member', async () => {
      const tag = newId().slice(0, 6);
      const second = await addGroup(domainB, `${tag}-b`);
      const first = await addGroup(domainB, `${tag}-a`);
      const user = await addUser({ domain_id: domainB });
      await backend.addMember(user.id, second.id);
      const inB = (await backend.listGroupRows({ domainId: domainB })).filter((g) => g.name.startsWith(tag));
      assert.deepEqual(
        inB.map((g) => g.id),
        [first.id, second.id],
      );
      assert.deepEqual(
        (await backend.listGroupRows({ memberId: user.id })).map((g) => g.id),
        [second.id],
      );
      assert.deepEqual(await backend.listGroupRows({ domainId: domainA, memberId: user.id }), []);
      assert.ok((await backend.listGroupRows()).some((g) => g.id === first.id));
    });

    test('memberships: added once, checked, listed both ways, removed once', async () => {
      const user = await addUser();
      const other = await addUser();
      const group = await addGroup();
      const second = await addGroup();
      await backend.addMember(user.id, group.id);
      await backend.addMember(user.id, group.id);
      await backend.addMember(user.id, second.id);
      await backend.addMember(other.id, group.id);
      assert.equal(await backend.isMember(user.id, group.id), true);
      assert.deepEqual((await backend.memberIds(group.id)).sort(), [user.id, other.id].sort());
      assert.deepEqual((await backend.groupIdsOfUser(user.id)).sort(), [group.id, second.id].sort());
      assert.equal(await backend.removeMember(user.id, group.id), 1);
      assert.equal(await backend.removeMember(user.id, group.id), 0);
      assert.equal(await backend.isMember(user.id, group.id), false);
      assert.deepEqual(await backend.memberIds(group.id), [other.id]);
      await backend.deleteGroup(second.id);
      assert.deepEqual(await backend.groupIdsOfUser(user.id), []);
      assert.deepEqual(await backend.groupIdsOfUser(newId()), []);
    });

    // ---- transactions -------------------------------------------------------------------

    test('a transaction keeps all of its work, or none of it when it fails', async () => {
      const kept = userRow();
      await backend.transaction(async (tx) => {
        const localId = await tx.insertUser(kept);
        await tx.insertPassword(localId, 'kept', null, false);
      });
      assert.equal((await backend.getUserRow(kept.id))?.password_self_service, false);
      const dropped = userRow();
      await assert.rejects(
        backend.transaction(async (tx) => {
          await tx.insertUser(dropped);
          throw new Error('changed my mind');
        }),
        /changed my mind/,
      );
      assert.equal(await backend.getUserRow(dropped.id), null);
      assert.equal(await backend.getUserRowByName(dropped.name, domainA), null);
    });
  });
}
