/**
 * Token facts to Keystone 22's JWS claims and back (keystone/token/providers/jws/core.py):
 * public claims sub, iat, exp (epoch seconds); private claims openstack_methods,
 * openstack_audit_ids, openstack_system ("all"), openstack_domain_id, openstack_project_id,
 * openstack_trust_id, openstack_group_ids ([{"id": …}], a federated token's groups),
 * openstack_idp_id, openstack_protocol_id, openstack_access_token_id, openstack_app_cred_id,
 * openstack_thumbprint (OAuth 2.0 mTLS, Keystone 2023.1);
 * a claim without a value is left out, as Keystone leaves out None.
 */
import { isoZeroMicrosZ, secondsFromIso } from '../../common/time.js';
import type { TokenFacts, TokenRecord } from '../token-model.js';
import { auditIdsOf } from '../token-model.js';

export class InvalidClaims extends Error {}

/** The claims of a token issued at iat (epoch seconds), in Keystone's order. */
export function claimsOf(facts: TokenFacts, iat: number): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    sub: facts.userId,
    iat,
    exp: Math.floor(secondsFromIso(facts.expiresAt)),
    openstack_methods: [...facts.methods],
    openstack_audit_ids: auditIdsOf(facts),
    openstack_system: facts.systemScope,
    openstack_domain_id: facts.domainId,
    openstack_project_id: facts.projectId,
    openstack_trust_id: facts.trustId,
    openstack_group_ids: facts.federatedGroupIds?.map((id) => ({ id })),
    openstack_idp_id: facts.identityProviderId,
    openstack_protocol_id: facts.protocolId,
    openstack_access_token_id: facts.accessTokenId,
    openstack_app_cred_id: facts.appCredId,
    openstack_thumbprint: facts.oauth2Thumbprint,
  };
  for (const [k, v] of Object.entries(claims)) if (v === undefined) Reflect.deleteProperty(claims, k);
  return claims;
}

/** The facts of verified claims; InvalidClaims when a claim is missing or of the wrong type. */
export function recordOf(id: string, claims: Record<string, unknown>): TokenRecord {
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub === '') throw new InvalidClaims('sub');
  const iat = epochSeconds(claims.iat, 'iat');
  const exp = epochSeconds(claims.exp, 'exp');
  const methods = stringList(claims.openstack_methods, 'openstack_methods');
  const auditIds = stringList(claims.openstack_audit_ids, 'openstack_audit_ids');
  if (auditIds.length < 1 || auditIds.length > 2) throw new InvalidClaims('openstack_audit_ids');
  const record: TokenRecord = {
    id,
    userId: sub,
    methods,
    auditId: auditIds[0],
    parentAuditId: auditIds.length > 1 ? auditIds[1] : null,
    expiresAt: isoZeroMicrosZ(exp),
    issuedAt: isoZeroMicrosZ(iat),
  };
  const system = optionalString(claims, 'openstack_system');
  if (system !== undefined) {
    if (system !== 'all') throw new InvalidClaims('openstack_system');
    record.systemScope = 'all';
  }
  const domainId = optionalString(claims, 'openstack_domain_id');
  if (domainId !== undefined) record.domainId = domainId;
  const projectId = optionalString(claims, 'openstack_project_id');
  if (projectId !== undefined) record.projectId = projectId;
  const trustId = optionalString(claims, 'openstack_trust_id');
  if (trustId !== undefined) record.trustId = trustId;
  const appCredId = optionalString(claims, 'openstack_app_cred_id');
  if (appCredId !== undefined) record.appCredId = appCredId;
  const accessTokenId = optionalString(claims, 'openstack_access_token_id');
  if (accessTokenId !== undefined) record.accessTokenId = accessTokenId;
  const thumbprint = optionalString(claims, 'openstack_thumbprint');
  if (thumbprint !== undefined) record.oauth2Thumbprint = thumbprint;
  const groups = claims.openstack_group_ids;
  if (groups !== undefined && groups !== null) {
    if (!Array.isArray(groups)) throw new InvalidClaims('openstack_group_ids');
    record.federatedGroupIds = groups.map((g: unknown) => {
      const gid = typeof g === 'object' && g !== null ? (g as { id?: unknown }).id : undefined;
      if (typeof gid !== 'string') throw new InvalidClaims('openstack_group_ids');
      return gid;
    });
    const idp = optionalString(claims, 'openstack_idp_id');
    if (idp !== undefined) record.identityProviderId = idp;
    const protocol = optionalString(claims, 'openstack_protocol_id');
    if (protocol !== undefined) record.protocolId = protocol;
  }
  return record;
}

function epochSeconds(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > 253402300799) throw new InvalidClaims(name);
  return v;
}

function stringList(v: unknown, name: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new InvalidClaims(name);
  return v;
}

function optionalString(claims: Record<string, unknown>, name: string): string | undefined {
  const v = claims[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new InvalidClaims(name);
  return v;
}
