/**
 * POST /v3/ec2tokens and /v3/s3tokens (and their v2.0 twins): from a signed
 * request's credentials to the identity a token is issued for, as Keystone's
 * EC2_S3_Resource.handle_authenticate does it, in its order:
 *
 *   access key present (401 "EC2 Signature not supplied") → the ec2
 *   credential of its hash (401 "EC2 access key not found.") → the signature
 *   (ec2-signature.ts / s3-signature.ts; 401) → the credential's project and
 *   user, both enabled with their domain and parents (401) → the request's
 *   time (EC2: Timestamp / Expires / X-Amz-Date / X-Amz-Expires; S3: the
 *   Date or x-amz-date line of the signed string, or a presigned Expires)
 *   within [credential] auth_ttl of now and not past its expiry; none at
 *   all is refused too (401) → the roles: the trust's (its trustee must be
 *   the credential's user, its project the credential's), the application
 *   credential's (the user's own, unexpired, of the same project) or the
 *   user's on the project; none is 401 "User not valid for project.".
 *
 * Nothing is issued here: issueEc2Token() makes the token (method
 * "ec2credential"), so the v2.0 API can render it its own way.
 */
import { EntityNotFound, Unauthorized } from '../common/errors.js';
import type { ProviderApi } from '../common/provider-api.js';
import type { ValidatedToken } from '../token/token-model.js';
import { projectUsable } from '../auth/scope.js';
import { issueGrantedToken } from '../auth/token-grant.js';
import { checkEc2Signature, checkTimestampDetailed, extractCredentials, pyStr, type TimestampResult } from './ec2-signature.js';
import { checkS3RequestTime, checkS3Signature } from './s3-signature.js';
import type { Ec2Credential } from './credential-manager.js';

export interface Ec2Identity {
  /** the credential's user: the token's user (with a trust: its trustee) */
  userId: string;
  projectId: string;
  trustId?: string;
  accessKey: string;
  /** the application credential the EC2 credential was made with */
  appCredId?: string;
}

/** How one kind of signed request is checked: its signature, and its time. */
interface SignedRequestKind {
  signature(credentials: Record<string, unknown>, secret: string): void;
  time(credentials: Record<string, unknown>, authTtlMinutes: number): TimestampResult;
}

function timeRefused(result: TimestampResult, given: () => unknown): void {
  if (result === 'invalid') throw new Unauthorized(`Credential timestamp is invalid: Unable to parse date string '${pyStr(given())}'`);
  if (result === 'expired') throw new Unauthorized('Credential is expired');
  if (result === 'missing') throw new Unauthorized('Credential timestamp is missing: a signed request must carry its time');
}

const EC2: SignedRequestKind = {
  signature(credentials, secret) {
    const result = checkEc2Signature(credentials, secret);
    if (result === 'missing') throw new Unauthorized('EC2 signature not supplied.');
    // 'malformed' (an unknown version, missing signing fields) fails Keystone's signer: no token either
    if (result !== 'ok') throw new Unauthorized('Invalid EC2 signature.');
  },
  time: (credentials, ttl) => checkTimestampDetailed(credentials, ttl),
};

const S3: SignedRequestKind = {
  signature(credentials, secret) {
    const result = checkS3Signature(credentials, secret);
    if (result === 'mismatch') throw new Unauthorized('Credential signature mismatch');
    if (result !== 'ok') throw new Unauthorized('Invalid EC2 signature.');
  },
  time: (credentials, ttl) => checkS3RequestTime(credentials, ttl),
};

function checkTime(providers: ProviderApi, credentials: Record<string, unknown>, kind: SignedRequestKind): void {
  timeRefused(kind.time(credentials, providers.conf.credential.auth_ttl), () => {
    const params = (credentials.params ?? {}) as Record<string, unknown>;
    const headers = (credentials.headers ?? {}) as Record<string, unknown>;
    return params.Timestamp || headers['X-Amz-Date'] || params['X-Amz-Date'] || params.Expires || params['X-Amz-Expires'];
  });
}

async function assertUsable(providers: ProviderApi, cred: Ec2Credential): Promise<{ userId: string; projectId: string }> {
  const project = cred.projectId ? await providers.resource_api.findProject(cred.projectId) : null;
  if (!project) throw new EntityNotFound('project', cred.projectId ?? '');
  const user = await providers.identity_api.getUser(cred.userId);
  const domain = await providers.resource_api.findDomain(user.domainId);
  if (!user.enabled || !domain?.enabled) throw new Unauthorized();
  if (!(await projectUsable(providers, project))) throw new Unauthorized();
  return { userId: user.id, projectId: project.id };
}

/**
 * The role ids the token will carry, the blob's delegation re-checked now
 * (whatever the blob says, it is honoured only when it still holds): a
 * trust's trustee must be the credential's user and its project the
 * credential's; an application credential must be the user's, unexpired,
 * of the credential's project.
 */
async function delegatedRoles(providers: ProviderApi, cred: Ec2Credential, userId: string, projectId: string): Promise<string[]> {
  if (cred.trustId) {
    const trust = await providers.trust_api.getTrust(cred.trustId);
    if (trust.trusteeUserId !== userId) throw new Unauthorized('EC2 credential user is not the trustee of its trust.');
    if (trust.projectId !== projectId) throw new Unauthorized('EC2 credential project does not match the trust project.');
    return trust.roleIds;
  }
  if (cred.appCredId) {
    const store = providers.application_credential_api;
    const appCred = await store.find(cred.appCredId);
    if (!appCred) throw new EntityNotFound('Application Credential', cred.appCredId);
    if (appCred.projectId !== projectId) {
      throw new Unauthorized('EC2 credential project does not match the application credential project.');
    }
    if (appCred.userId !== userId || store.isExpired(appCred)) throw new Unauthorized();
    return appCred.roles.map((r) => r.id);
  }
  if (cred.accessTokenId) {
    // OAuth1 access tokens are not kept here: the credential cannot be honoured.
    throw new Unauthorized('EC2 credential project does not match the OAuth1 access token project.');
  }
  return (await providers.assignment_api.rolesForUserOnProject(userId, projectId)).map((r) => r.id);
}

async function verify(providers: ProviderApi, credentials: Record<string, unknown>, kind: SignedRequestKind): Promise<Ec2Identity> {
  if (!Object.prototype.hasOwnProperty.call(credentials, 'access')) throw new Unauthorized('EC2 Signature not supplied');
  const accessKey = typeof credentials.access === 'string' ? credentials.access : JSON.stringify(credentials.access);
  const cred = await providers.credential_api.findEc2ByAccess(accessKey);
  kind.signature(credentials, cred.secret);
  const { userId, projectId } = await assertUsable(providers, cred);
  checkTime(providers, credentials, kind);
  const roleIds = await delegatedRoles(providers, cred, userId, projectId);
  if (roleIds.length === 0) throw new Unauthorized('User not valid for project.');
  for (const id of roleIds) await providers.role_api.getRole(id);
  return {
    userId,
    projectId,
    accessKey,
    ...(cred.trustId ? { trustId: cred.trustId } : {}),
    ...(cred.appCredId ? { appCredId: cred.appCredId } : {}),
  };
}

/** POST /v3/ec2tokens: AWS signature versions 0, 1, 2 and 4 (keystoneclient's Ec2Signer). */
export function verifyEc2Credentials(providers: ProviderApi, credentials: Record<string, unknown>): Promise<Ec2Identity> {
  return verify(providers, credentials, EC2);
}

/** POST /v3/s3tokens: {access, signature, token} with token the base64 string to sign (v1 or v4). */
export function verifyS3Credentials(providers: ProviderApi, credentials: Record<string, unknown>): Promise<Ec2Identity> {
  return verify(providers, credentials, S3);
}

export type SignedRequestVerifier = typeof verifyEc2Credentials;

/** The policy rule a caller must pass to exchange a signed request (both versions): Keystone's fix for CVE-2025-65073. */
export function exchangeRule(verifier: SignedRequestVerifier): 'identity:ec2tokens_validate' | 'identity:s3tokens_validate' {
  return verifier === verifyS3Credentials ? 'identity:s3tokens_validate' : 'identity:ec2tokens_validate';
}

/**
 * The token for a verified EC2/S3 request (method "ec2credential",
 * project-scoped), issued through the one grant path
 * (src/auth/token-grant.ts): disabled owners, MFA rules (no receipts: a
 * 401), the trust or application credential limits, the mint.
 */
export function issueEc2Token(providers: ProviderApi, identity: Ec2Identity): Promise<ValidatedToken> {
  return issueGrantedToken(
    providers,
    {
      userId: identity.userId,
      methods: ['ec2credential'],
      ...(identity.trustId ? { trustId: identity.trustId } : {}),
      ...(identity.appCredId ? { appCredId: identity.appCredId } : {}),
    },
    { projectId: identity.projectId },
    { receipts: false },
  );
}

/**
 * The credentials of a token request body ("credentials", then "credential",
 * then "ec2Credentials"; {} when none), or null when there is no body at all
 * (Keystone's 400 "request must include a request body").
 */
export function credentialsOfBody(body: unknown): Record<string, unknown> | null {
  if (!body || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).length === 0) return null;
  return extractCredentials(body);
}
