/**
 * Keystone's LDAP identity driver (identity/backends/ldap/core.py), read
 * only as in Keystone 22: users and groups searched under their tree DNs
 * with the configured object classes and filters, memberships through the
 * group member attribute (DNs, or ids with group_members_are_ids; nested
 * through LDAP_MATCHING_RULE_IN_CHAIN with group_ad_nesting), passwords
 * checked by binding as the user. Every value a client sends is escaped
 * before it enters a filter.
 */
import { Forbidden, Unauthorized, UnexpectedError } from '../../common/errors.js';
import type { DriverGroup, DriverUser, DriverUserQuery, IdentityDriver } from '../identity-driver.js';
import { LdapUnreachable } from './ldap-connection-pool.js';
import { LdapDirectory, type LdapSearch } from './ldap-directory.js';
import {
  attributesOf,
  attributeValues,
  groupFromEntry,
  userFromEntry,
  type DirectoryGroup,
  type DirectoryUser,
} from './ldap-entry-mapping.js';
import { andFilter, equalityFilter, escapeFilterValue, firstRdn, inChainFilter, normalizeDn } from './ldap-filter.js';
import type { LdapDriverSettings } from './ldap-settings.js';

export const READ_ONLY_LDAP_ERROR_MESSAGE = 'LDAP does not support write operations';

/** Keystone's LDAPServerConnectionError: a 500 naming the URLs. */
export class LdapServerConnectionError extends UnexpectedError {
  constructor(urls: string[]) {
    super(`Unable to establish a connection to LDAP Server (${urls.join(',')}).`);
  }
}

/** Members of a group read at once, at most: a huge group is read in parallel batches of this size. */
const MEMBER_LOOKUP_BATCH = 20;

export class LdapIdentityDriver implements IdentityDriver {
  readonly isDomainAware = false;
  readonly generatesUuids = false;
  private readonly directory: LdapDirectory;

  constructor(private readonly settings: LdapDriverSettings) {
    this.directory = new LdapDirectory(settings.connection, settings.directory);
  }

  private async search(request: LdapSearch) {
    try {
      return await this.directory.search(request);
    } catch (err) {
      if (err instanceof LdapUnreachable) throw new LdapServerConnectionError(err.urls);
      throw err;
    }
  }

  // ---- users --------------------------------------------------------------------------

  private userSearch(filter: string | null): LdapSearch {
    const user = this.settings.user;
    return {
      base: user.treeDn,
      scope: this.settings.scope,
      filter: andFilter(filter, user.filter, `(objectClass=${user.objectClass})`, `(${user.idAttribute}=*)`),
      attributes: attributesOf(user),
    };
  }

  /** Users of entries, with enabled emulation applied (one read of the enabled-users group). */
  private async usersOf(request: LdapSearch): Promise<DirectoryUser[]> {
    const users = (await this.search(request))
      .map((e) => userFromEntry(e, this.settings))
      .filter((u): u is DirectoryUser => u !== null && normalizeDn(u.dn) !== normalizeDn(this.settings.user.enabledEmulationDn));
    if (!this.settings.user.enabledEmulation || this.settings.user.ignore.includes('enabled')) return users;
    const { enabledEmulationDn, emulationMemberAttribute, emulationMembersAreIds } = this.settings.user;
    const group = (
      await this.search({
        base: enabledEmulationDn,
        scope: 'base',
        filter: '(objectClass=*)',
        attributes: [emulationMemberAttribute],
      })
    ).at(0);
    const members = new Set(
      (group ? attributeValues(group, emulationMemberAttribute) : []).map((m) => (emulationMembersAreIds ? m : normalizeDn(m))),
    );
    return users.map((u) => ({ ...u, enabled: members.has(emulationMembersAreIds ? u.id : normalizeDn(u.dn)) }));
  }

  private async findUser(userId: string): Promise<DirectoryUser | null> {
    const user = (await this.usersOf(this.userSearch(equalityFilter(this.settings.user.idAttribute, userId)))).at(0);
    return user ?? null;
  }

  async getUser(userId: string): Promise<DriverUser | null> {
    const user = await this.findUser(userId);
    return user ? publicUser(user) : null;
  }

  async getUserByName(name: string): Promise<DriverUser | null> {
    const user = (await this.usersOf(this.userSearch(equalityFilter(this.settings.user.attributes.name, name)))).at(0);
    return user ? publicUser(user) : null;
  }

  async listUsers(query: DriverUserQuery): Promise<DriverUser[]> {
    const filter = query.name !== undefined ? equalityFilter(this.settings.user.attributes.name, query.name) : null;
    const users = (await this.usersOf(this.userSearch(filter))).map(publicUser);
    return query.enabled === undefined ? users : users.filter((u) => u.enabled === query.enabled);
  }

  async authenticate(userId: string, password: string): Promise<DriverUser> {
    const user = userId ? await this.findUser(userId) : null;
    // An unknown user costs a bind too (on a DN nobody has), so that both failures take the server's time.
    const dn =
      user?.dn ?? `${this.settings.user.idAttribute}=${escapeFilterValue(`unknown-${String(Date.now())}`)},${this.settings.user.treeDn}`;
    let verified: boolean;
    try {
      verified = await this.directory.verifyPassword(dn, password);
    } catch (err) {
      if (err instanceof LdapUnreachable) throw new LdapServerConnectionError(err.urls);
      throw err;
    }
    if (!user || !verified) throw new Unauthorized();
    return publicUser(user);
  }

  // ---- groups -------------------------------------------------------------------------

  private groupSearch(filter: string | null): LdapSearch {
    const group = this.settings.group;
    return {
      base: group.treeDn,
      scope: this.settings.scope,
      filter: andFilter(filter, group.filter, `(objectClass=${group.objectClass})`, `(${group.idAttribute}=*)`),
      attributes: attributesOf(group),
    };
  }

  private async groupsOf(request: LdapSearch): Promise<DirectoryGroup[]> {
    return (await this.search(request)).map((e) => groupFromEntry(e, this.settings)).filter((g): g is DirectoryGroup => g !== null);
  }

  private async findGroup(groupId: string): Promise<DirectoryGroup | null> {
    const group = (await this.groupsOf(this.groupSearch(equalityFilter(this.settings.group.idAttribute, groupId)))).at(0);
    return group ?? null;
  }

  async getGroup(groupId: string): Promise<DriverGroup | null> {
    const group = await this.findGroup(groupId);
    return group ? publicGroup(group) : null;
  }

  async getGroupByName(name: string): Promise<DriverGroup | null> {
    const group = (await this.groupsOf(this.groupSearch(equalityFilter(this.settings.group.attributes.name, name)))).at(0);
    return group ? publicGroup(group) : null;
  }

  async listGroups(query: { name?: string }): Promise<DriverGroup[]> {
    const filter = query.name !== undefined ? equalityFilter(this.settings.group.attributes.name, query.name) : null;
    return (await this.groupsOf(this.groupSearch(filter))).map(publicGroup);
  }

  /** The member attribute's value that names this user: its DN, or its id with group_members_are_ids. */
  private memberFilter(user: DirectoryUser): string {
    const { memberAttribute, membersAreIds, adNesting } = this.settings.group;
    const value = membersAreIds ? user.id : user.dn;
    // Keystone: the in-chain rule is asked of `member`, the attribute Active Directory nests through.
    return adNesting ? inChainFilter('member', value) : equalityFilter(memberAttribute, value);
  }

  async listGroupsForUser(userId: string): Promise<DriverGroup[]> {
    const user = await this.findUser(userId);
    if (!user) return [];
    return (await this.groupsOf(this.groupSearch(this.memberFilter(user)))).map(publicGroup);
  }

  async isMember(userId: string, groupId: string): Promise<boolean> {
    const user = await this.findUser(userId);
    if (!user) return false;
    const filter = andFilter(equalityFilter(this.settings.group.idAttribute, groupId), this.memberFilter(user));
    return (await this.groupsOf(this.groupSearch(filter))).length > 0;
  }

  async listUsersInGroup(groupId: string): Promise<DriverUser[] | null> {
    const group = await this.findGroup(groupId);
    if (!group) return null;
    const { memberAttribute, membersAreIds, adNesting } = this.settings.group;
    if (adNesting) return (await this.usersOf(this.userSearch(inChainFilter('memberOf', group.dn)))).map(publicUser);
    const entry = (await this.search({ base: group.dn, scope: 'base', filter: '(objectClass=*)', attributes: [memberAttribute] })).at(0);
    const members = entry ? attributeValues(entry, memberAttribute) : [];
    const users: DriverUser[] = [];
    for (let i = 0; i < members.length; i += MEMBER_LOOKUP_BATCH) {
      const batch = await Promise.all(members.slice(i, i + MEMBER_LOOKUP_BATCH).map((m) => this.memberUser(m, membersAreIds)));
      for (const user of batch) if (user) users.push(publicUser(user));
    }
    return users;
  }

  /** A member value's user: by id, or by DN (a base search, so that the user filter and object class still apply). */
  private async memberUser(member: string, isId: boolean): Promise<DirectoryUser | null> {
    if (isId) return this.findUser(member);
    if (!firstRdn(member)) return null;
    const search = this.userSearch(null);
    const user = (await this.usersOf({ ...search, base: member, scope: 'base' })).at(0);
    return user ?? null;
  }

  // ---- writes -----------------------------------------------------------------------------

  assertWritable(): void {
    throw new Forbidden(READ_ONLY_LDAP_ERROR_MESSAGE);
  }

  close(): Promise<void> {
    return this.directory.close();
  }
}

function publicUser(user: DirectoryUser): DriverUser {
  return { id: user.id, name: user.name, enabled: user.enabled, defaultProjectId: user.defaultProjectId, extra: user.extra };
}

function publicGroup(group: DirectoryGroup): DriverGroup {
  return { id: group.id, name: group.name, description: group.description, extra: group.extra };
}
