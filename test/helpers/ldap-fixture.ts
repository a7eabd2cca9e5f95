/**
 * The directory the LDAP tests read: users under ou=Users (one more a level
 * down, under ou=Staff), groups under ou=UserGroups, a posixGroup whose
 * members are ids, an enabled-users group for emulation, and names that
 * look like filter syntax. `ldapOptions` is the [ldap] section that reads it
 * over plain LDAP, LDAPS or StartTLS.
 */
import type { Slapd } from './slapd.js';

export interface FixtureUser {
  id: string;
  name: string;
  password: string;
  /** employeeType: TRUE/FALSE (the enabled attribute of the tests) */
  enabled: boolean;
  /** departmentNumber: an Active Directory style userAccountControl (512 enabled, 514 disabled) */
  accountControl: number;
  mail?: string;
  description?: string;
  /** under ou=Staff,ou=Users: found only with query_scope = sub */
  nested?: boolean;
}

export const FIXTURE_USERS: FixtureUser[] = [
  {
    id: 'alice',
    name: 'Alice Liddell',
    password: 'alice-pw',
    enabled: true,
    accountControl: 512,
    mail: 'alice@example.org',
    description: 'in wonderland',
  },
  { id: 'bob', name: 'bob', password: 'bob-pw', enabled: false, accountControl: 512 },
  { id: 'carol', name: 'carol', password: 'carol-pw', enabled: true, accountControl: 514 },
  { id: 'star', name: 'st*r', password: 'star-pw', enabled: true, accountControl: 512 },
  { id: 'paren', name: 'a)(sn=*', password: 'paren-pw', enabled: true, accountControl: 512 },
  { id: 'slash', name: 'back\\slash', password: 'slash-pw', enabled: true, accountControl: 512 },
  { id: 'deep', name: 'deep', password: 'deep-pw', enabled: true, accountControl: 512, nested: true },
];

export interface FixtureGroup {
  id: string;
  name: string;
  description: string;
  members: string[];
}

export const FIXTURE_GROUPS: FixtureGroup[] = [
  { id: 'devs', name: 'developers', description: 'people who write code', members: ['alice', 'bob'] },
  { id: 'ops', name: 'operators', description: 'people who run it', members: ['carol', 'alice'] },
  { id: 'lonely', name: 'lonely', description: 'a group of nobody we know', members: [] },
];

/** The users listed with the default one-level scope. */
export const ONE_LEVEL_USERS = FIXTURE_USERS.filter((u) => !u.nested);

export function userDn(slapd: Pick<Slapd, 'suffix'>, user: FixtureUser): string {
  return user.nested ? `cn=${user.id},ou=Staff,ou=Users,${slapd.suffix}` : `cn=${user.id},ou=Users,${slapd.suffix}`;
}

function userLdif(slapd: Slapd, user: FixtureUser): string {
  const lines = [
    `dn: ${userDn(slapd, user)}`,
    'objectClass: inetOrgPerson',
    `cn: ${user.id}`,
    `sn:: ${Buffer.from(user.name).toString('base64')}`,
    `userPassword: ${user.password}`,
    `employeeType: ${user.enabled ? 'TRUE' : 'FALSE'}`,
    `departmentNumber: ${String(user.accountControl)}`,
  ];
  if (user.mail) lines.push(`mail: ${user.mail}`);
  if (user.description) lines.push(`description: ${user.description}`);
  return lines.join('\n');
}

export function seedDirectory(slapd: Slapd): void {
  const s = slapd.suffix;
  const entries = [
    `dn: ou=Users,${s}\nobjectClass: organizationalUnit\nou: Users`,
    `dn: ou=Staff,ou=Users,${s}\nobjectClass: organizationalUnit\nou: Staff`,
    `dn: ou=UserGroups,${s}\nobjectClass: organizationalUnit\nou: UserGroups`,
    `dn: ou=PosixGroups,${s}\nobjectClass: organizationalUnit\nou: PosixGroups`,
    ...FIXTURE_USERS.map((u) => userLdif(slapd, u)),
    ...FIXTURE_GROUPS.map((g) =>
      [
        `dn: cn=${g.id},ou=UserGroups,${s}`,
        'objectClass: groupOfNames',
        `cn: ${g.id}`,
        `ou: ${g.name}`,
        `description: ${g.description}`,
        // groupOfNames needs a member: an empty group holds the empty DN, as Keystone's own tests do
        ...(g.members.length > 0
          ? g.members.map((m) => `member: ${userDn(slapd, FIXTURE_USERS.find((u) => u.id === m) as FixtureUser)}`)
          : ['member: cn=nobody,ou=Users,' + s]),
      ].join('\n'),
    ),
    [
      `dn: cn=posixdevs,ou=PosixGroups,${s}`,
      'objectClass: posixGroup',
      'cn: posixdevs',
      'gidNumber: 1000',
      'memberUid: alice',
      'memberUid: carol',
      'description: posix developers',
    ].join('\n'),
    [`dn: cn=enabled_users,ou=Users,${s}`, 'objectClass: groupOfNames', 'cn: enabled_users', `member: cn=bob,ou=Users,${s}`].join('\n'),
  ];
  slapd.add(entries.join('\n\n') + '\n');
}

export type LdapTransport = 'plain' | 'ldaps' | 'starttls';

/** The [ldap] options that read the fixture: users named by sn, enabled by employeeType, groups named by ou. */
export function ldapOptions(slapd: Slapd, transport: LdapTransport = 'plain'): Record<string, string> {
  const options: Record<string, string> = {
    url: transport === 'ldaps' ? slapd.ldapsUrl : slapd.url,
    user: slapd.adminDn,
    password: slapd.adminPassword,
    suffix: slapd.suffix,
    user_tree_dn: `ou=Users,${slapd.suffix}`,
    user_objectclass: 'inetOrgPerson',
    user_id_attribute: 'cn',
    user_name_attribute: 'sn',
    user_enabled_attribute: 'employeeType',
    group_tree_dn: `ou=UserGroups,${slapd.suffix}`,
    group_objectclass: 'groupOfNames',
    group_id_attribute: 'cn',
    group_name_attribute: 'ou',
  };
  if (transport !== 'plain') options.tls_cacertfile = slapd.caFile;
  if (transport === 'starttls') {
    options.use_tls = 'true';
    options.url = slapd.url.replace('127.0.0.1', 'localhost');
  }
  return options;
}
