/**
 * The Fernet token payload variants of Keystone 22
 * (keystone/token/token_formatters.py), one entry per payload class, with
 * its version and field order. A payload is packed as the msgpack array
 * [version, ...fields]; an id field is an id pair (see payload-codec.ts).
 *
 *  v  kind                   fields after the version
 *  0  unscoped               user, methods, expires, audit_ids
 *  1  domain                 user, methods, domain*, expires, audit_ids
 *  2  project                user, methods, project, expires, audit_ids
 *  3  trust                  user, methods, project, expires, audit_ids, trust (16 bytes)
 *  4  federatedUnscoped      user, methods, [group…], idp, protocol (str), expires, audit_ids
 *  5  federatedProject       user, methods, project, [group…], idp, protocol, expires, audit_ids
 *  6  federatedDomain        user, methods, domain, [group…], idp, protocol, expires, audit_ids
 *  7  oauth                  user, methods, project, access_token, expires, audit_ids
 *  8  system                 user, methods, system (str), expires, audit_ids
 *  9  applicationCredential  user, methods, project, expires, audit_ids, app_cred
 * 10  oauth2Credential       user, methods, project, domain, expires, audit_ids, [false, thumbprint]
 *
 * *domain: the 16 uuid bytes, or the default domain id as a plain string
 * (any other non-uuid domain id is refused, as Keystone refuses it).
 * Version 10 is Keystone 2023.1's (Oauth2CredentialsScopedPayload, OAuth 2.0
 * mTLS: a token bound to a client certificate's x5t#S256 thumbprint); Keystone
 * 22 does not know it.
 */
import type { PackValue } from './msgpack.js';
import {
  MethodMap,
  PayloadError,
  auditIdFromBytes,
  auditIdToBytes,
  floatToIsotime,
  packExpires,
  packId,
  unpackId,
  uuidBytes,
  uuidHex,
} from './payload-codec.js';

export type PayloadKind =
  | 'unscoped'
  | 'domain'
  | 'project'
  | 'trust'
  | 'federatedUnscoped'
  | 'federatedProject'
  | 'federatedDomain'
  | 'oauth'
  | 'system'
  | 'applicationCredential'
  | 'oauth2Credential';

export const PAYLOAD_VERSIONS: Readonly<Record<PayloadKind, number>> = Object.freeze({
  unscoped: 0,
  domain: 1,
  project: 2,
  trust: 3,
  federatedUnscoped: 4,
  federatedProject: 5,
  federatedDomain: 6,
  oauth: 7,
  system: 8,
  applicationCredential: 9,
  oauth2Credential: 10,
});

/** What a token carries (input of TokenFormatter.create). */
export interface TokenPayload {
  userId: string;
  /** auth method names, e.g. ['password'] */
  methods: readonly string[];
  /** ISO 8601 string as Keystone passes it, a Date, or seconds since the epoch */
  expiresAt: string | Date | number;
  /** urlsafe base64 audit ids (22 characters each), the token's first */
  auditIds: readonly string[];
  projectId?: string;
  domainId?: string;
  /** system scope, e.g. 'all' */
  systemScope?: string;
  trustId?: string;
  /** federated tokens: the ids of the groups from the mapping */
  federatedGroupIds?: readonly string[];
  identityProviderId?: string;
  protocolId?: string;
  /** OAuth1 access token id */
  accessTokenId?: string;
  appCredId?: string;
  /** OAuth 2.0 mTLS: the client certificate's x5t#S256 thumbprint */
  thumbprint?: string;
}

/** What validate() returns. Keystone renders both times with ".000000Z". */
export interface DecodedToken {
  version: number;
  kind: PayloadKind;
  userId: string;
  methods: readonly string[];
  projectId?: string;
  domainId?: string;
  systemScope?: string;
  trustId?: string;
  federatedGroupIds?: string[];
  identityProviderId?: string;
  protocolId?: string;
  accessTokenId?: string;
  appCredId?: string;
  thumbprint?: string;
  expiresAt: string;
  issuedAt: string;
  auditIds: string[];
}

export interface PayloadContext {
  methods: MethodMap;
  /** [identity] default_domain_id: the one non-uuid domain id a domain-scoped token may carry */
  defaultDomainId: string;
}

type Fields = Omit<DecodedToken, 'version' | 'kind' | 'issuedAt'>;

interface PayloadClass {
  version: number;
  assemble(p: TokenPayload, ctx: PayloadContext): PackValue[];
  disassemble(a: readonly unknown[], ctx: PayloadContext): Fields;
}

const present = (v: string | null): string | undefined => (v === null ? undefined : v);

function methodsOut(v: unknown, ctx: PayloadContext): readonly string[] {
  if (typeof v !== 'number') throw new PayloadError('methods');
  return ctx.methods.toList(v);
}

function auditOut(v: unknown): string[] {
  if (!Array.isArray(v)) throw new PayloadError('audit ids');
  return v.map(auditIdFromBytes);
}

function userOut(v: unknown): string {
  const u = unpackId(v);
  if (u === null) throw new PayloadError('user id');
  return u;
}

function audits(p: TokenPayload): PackValue[] {
  return p.auditIds.map(auditIdToBytes);
}

function groupsOut(v: unknown): string[] {
  if (!Array.isArray(v)) throw new PayloadError('group ids');
  return v.map((g) => {
    const id = unpackId(g);
    if (id === null) throw new PayloadError('group id');
    return id;
  });
}

function protocolOut(v: unknown): string | undefined {
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v === null) return undefined;
  if (typeof v !== 'string') throw new PayloadError('protocol id');
  return v;
}

function expect(a: readonly unknown[], n: number): void {
  if (a.length !== n) throw new PayloadError(`expected ${n} fields, got ${a.length}`);
}

function requireUuid(value: string | undefined, what: string): Buffer {
  const b = uuidBytes(value);
  if (!b) throw new RangeError(`${what} must be a UUID for a Fernet token: ${String(value)}`);
  return b;
}

const Unscoped: PayloadClass = {
  version: 0,
  assemble: (p, ctx) => [packId(p.userId), ctx.methods.toInteger(p.methods), packExpires(p.expiresAt), audits(p)],
  disassemble(a, ctx) {
    expect(a, 4);
    return { userId: userOut(a[0]), methods: methodsOut(a[1], ctx), expiresAt: floatToIsotime(a[2] as number), auditIds: auditOut(a[3]) };
  },
};

const DomainScoped: PayloadClass = {
  version: 1,
  assemble(p, ctx) {
    let domain: PackValue = uuidBytes(p.domainId) ?? null;
    if (domain === null) {
      if (p.domainId !== undefined && p.domainId === ctx.defaultDomainId) domain = p.domainId;
      else throw new RangeError(`domain id must be a UUID or the default domain id for a Fernet token: ${String(p.domainId)}`);
    }
    return [packId(p.userId), ctx.methods.toInteger(p.methods), domain, packExpires(p.expiresAt), audits(p)];
  },
  disassemble(a, ctx) {
    expect(a, 5);
    const raw = a[2];
    let domainId: string;
    if (Buffer.isBuffer(raw) && raw.length === 16) domainId = raw.toString('hex');
    else {
      const s = Buffer.isBuffer(raw) ? raw.toString('utf8') : raw;
      if (s !== ctx.defaultDomainId) throw new PayloadError('domain id');
      domainId = s;
    }
    return {
      userId: userOut(a[0]),
      methods: methodsOut(a[1], ctx),
      domainId,
      expiresAt: floatToIsotime(a[3] as number),
      auditIds: auditOut(a[4]),
    };
  },
};

const ProjectScoped: PayloadClass = {
  version: 2,
  assemble: (p, ctx) => [packId(p.userId), ctx.methods.toInteger(p.methods), packId(p.projectId), packExpires(p.expiresAt), audits(p)],
  disassemble(a, ctx) {
    expect(a, 5);
    return {
      userId: userOut(a[0]),
      methods: methodsOut(a[1], ctx),
      projectId: present(unpackId(a[2])),
      expiresAt: floatToIsotime(a[3] as number),
      auditIds: auditOut(a[4]),
    };
  },
};

const TrustScoped: PayloadClass = {
  version: 3,
  assemble: (p, ctx) => [
    packId(p.userId),
    ctx.methods.toInteger(p.methods),
    packId(p.projectId),
    packExpires(p.expiresAt),
    audits(p),
    requireUuid(p.trustId, 'trust id'),
  ],
  disassemble(a, ctx) {
    expect(a, 6);
    return {
      userId: userOut(a[0]),
      methods: methodsOut(a[1], ctx),
      projectId: present(unpackId(a[2])),
      expiresAt: floatToIsotime(a[3] as number),
      auditIds: auditOut(a[4]),
      trustId: uuidHex(a[5]),
    };
  },
};

const packGroups = (p: TokenPayload): PackValue[] => (p.federatedGroupIds ?? []).map((g) => packId(g));

const FederatedUnscoped: PayloadClass = {
  version: 4,
  assemble: (p, ctx) => [
    packId(p.userId),
    ctx.methods.toInteger(p.methods),
    packGroups(p),
    packId(p.identityProviderId),
    p.protocolId ?? null,
    packExpires(p.expiresAt),
    audits(p),
  ],
  disassemble(a, ctx) {
    expect(a, 7);
    return {
      userId: userOut(a[0]),
      methods: methodsOut(a[1], ctx),
      federatedGroupIds: groupsOut(a[2]),
      identityProviderId: present(unpackId(a[3])),
      protocolId: protocolOut(a[4]),
      expiresAt: floatToIsotime(a[5] as number),
      auditIds: auditOut(a[6]),
    };
  },
};

function federatedScoped(version: number, scope: 'projectId' | 'domainId'): PayloadClass {
  return {
    version,
    assemble: (p, ctx) => [
      packId(p.userId),
      ctx.methods.toInteger(p.methods),
      packId(p.projectId || p.domainId),
      packGroups(p),
      packId(p.identityProviderId),
      p.protocolId ?? null,
      packExpires(p.expiresAt),
      audits(p),
    ],
    disassemble(a, ctx) {
      expect(a, 8);
      return {
        userId: userOut(a[0]),
        methods: methodsOut(a[1], ctx),
        [scope]: present(unpackId(a[2])),
        federatedGroupIds: groupsOut(a[3]),
        identityProviderId: present(unpackId(a[4])),
        protocolId: protocolOut(a[5]),
        expiresAt: floatToIsotime(a[6] as number),
        auditIds: auditOut(a[7]),
      };
    },
  };
}

const OauthScoped: PayloadClass = {
  version: 7,
  assemble: (p, ctx) => [
    packId(p.userId),
    ctx.methods.toInteger(p.methods),
    packId(p.projectId),
    packId(p.accessTokenId),
    packExpires(p.expiresAt),
    audits(p),
  ],
  disassemble(a, ctx) {
    expect(a, 6);
    return {
      userId: userOut(a[0]),
      methods: methodsOut(a[1], ctx),
      projectId: present(unpackId(a[2])),
      accessTokenId: present(unpackId(a[3])),
      expiresAt: floatToIsotime(a[4] as number),
      auditIds: auditOut(a[5]),
    };
  },
};

const SystemScoped: PayloadClass = {
  version: 8,
  assemble: (p, ctx) => [packId(p.userId), ctx.methods.toInteger(p.methods), p.systemScope ?? null, packExpires(p.expiresAt), audits(p)],
  disassemble(a, ctx) {
    expect(a, 5);
    const system = Buffer.isBuffer(a[2]) ? a[2].toString('utf8') : a[2];
    if (typeof system !== 'string') throw new PayloadError('system');
    return {
      userId: userOut(a[0]),
      methods: methodsOut(a[1], ctx),
      systemScope: system,
      expiresAt: floatToIsotime(a[3] as number),
      auditIds: auditOut(a[4]),
    };
  },
};

const ApplicationCredentialScoped: PayloadClass = {
  version: 9,
  assemble: (p, ctx) => [
    packId(p.userId),
    ctx.methods.toInteger(p.methods),
    packId(p.projectId),
    packExpires(p.expiresAt),
    audits(p),
    packId(p.appCredId),
  ],
  disassemble(a, ctx) {
    expect(a, 6);
    return {
      userId: userOut(a[0]),
      methods: methodsOut(a[1], ctx),
      projectId: present(unpackId(a[2])),
      expiresAt: floatToIsotime(a[3] as number),
      auditIds: auditOut(a[4]),
      appCredId: present(unpackId(a[5])),
    };
  },
};

const Oauth2CredentialScoped: PayloadClass = {
  version: 10,
  assemble: (p, ctx) => [
    packId(p.userId),
    ctx.methods.toInteger(p.methods),
    packId(p.projectId),
    packId(p.domainId),
    packExpires(p.expiresAt),
    audits(p),
    [false, p.thumbprint ?? null],
  ],
  disassemble(a, ctx) {
    expect(a, 7);
    return {
      userId: userOut(a[0]),
      methods: methodsOut(a[1], ctx),
      projectId: present(unpackId(a[2])),
      domainId: present(unpackId(a[3])),
      expiresAt: floatToIsotime(a[4] as number),
      auditIds: auditOut(a[5]),
      thumbprint: present(unpackId(a[6])),
    };
  },
};

export const PAYLOAD_CLASSES: Readonly<Record<PayloadKind, PayloadClass>> = Object.freeze({
  unscoped: Unscoped,
  domain: DomainScoped,
  project: ProjectScoped,
  trust: TrustScoped,
  federatedUnscoped: FederatedUnscoped,
  federatedProject: federatedScoped(5, 'projectId'),
  federatedDomain: federatedScoped(6, 'domainId'),
  oauth: OauthScoped,
  system: SystemScoped,
  applicationCredential: ApplicationCredentialScoped,
  oauth2Credential: Oauth2CredentialScoped,
});

/** version → [kind, class] */
export const PAYLOADS_BY_VERSION: ReadonlyArray<readonly [PayloadKind, PayloadClass]> = (() => {
  const out: [PayloadKind, PayloadClass][] = [];
  for (const [kind, cls] of Object.entries(PAYLOAD_CLASSES) as [PayloadKind, PayloadClass][]) out[cls.version] = [kind, cls];
  return out;
})();

/**
 * The payload class Keystone's fernet provider picks for a token
 * (_determine_payload_class_from_token): oauth, then trust, then
 * federated (by scope), then application credential, OAuth 2.0 client
 * certificate (thumbprint), project, domain, system, unscoped.
 */
export function payloadKindOf(p: TokenPayload): PayloadKind {
  if (p.accessTokenId) return 'oauth';
  if (p.trustId) return 'trust';
  if (p.identityProviderId !== undefined || p.federatedGroupIds !== undefined) {
    if (p.projectId) return 'federatedProject';
    if (p.domainId) return 'federatedDomain';
    if (p.systemScope) throw new RangeError('a federated token cannot be system scoped');
    return 'federatedUnscoped';
  }
  if (p.appCredId) return 'applicationCredential';
  if (p.thumbprint) return 'oauth2Credential';
  if (p.projectId) return 'project';
  if (p.domainId) return 'domain';
  if (p.systemScope) return 'system';
  return 'unscoped';
}
