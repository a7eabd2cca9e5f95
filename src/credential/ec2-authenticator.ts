/**
 * POST /v3/ec2tokens and /v3/s3tokens (and their v2.0 twins): from a signed
 * request's credentials to the identity a token is issued for, as Keystone's
 * EC2_S3_Resource.handle_authenticate does it, in its order:
 *
 *   access key present (401 "EC2 Signature not supplied") → the ec2
 *   credential of its hash (401 "EC2 access key not found.") → the signature
 *   (ec2-signature.ts / s3-signature.ts; 401) → the credential's project and
 *   user, both enabled with their domain and parents (401) → the timestamp
 *   within [credential] auth_ttl (401) → the roles: the trust's, the
 *   application credential's (its project must match) or the user's on the
 *   project; none is 401 "User not valid for project.".
 *
 * Nothing is issued here: issueEc2Token() makes the token (method
 * "ec2credential"), so the v2.0 API can render it its own way.
 */
import { EntityNotFound, Unauthorized } from '../common/errors.js';
import type { Services } from '../server/services.js';
import type { ValidatedToken } from '../token/token-model.js';
import { projectUsable } from '../auth/scope.js';
import { checkEc2Signature, checkTimestampDetailed, extractCredentials, pyStr, type Ec2Credentials } from './ec2-signature.js';
import { checkS3Signature, type S3Credentials } from './s3-signature.js';
import type { Ec2Credential } from './credential-manager.js';

export interface Ec2Identity {
  /** the user the token is for (with an impersonating trust: the trustee, as Keystone) */
  userId: string;
  projectId: string;
  trustId?: string;
  accessKey: string;
  /** the application credential the EC2 credential was made with */
  appCredId?: string;
}

type SignatureCheck = (credentials: Record<string, unknown>, secret: string) => void;

const checkEc2: SignatureCheck = (credentials, secret) => {
  const result = checkEc2Signature(credentials as Ec2Credentials, secret);
  if (result === 'missing') throw new Unauthorized('EC2 signature not supplied.');
  // 'malformed' (an unknown version, missing signing fields) fails Keystone's signer: no token either
  if (result !== 'ok') throw new Unauthorized('Invalid EC2 signature.');
};

const checkS3: SignatureCheck = (credentials, secret) => {
  const result = checkS3Signature(credentials as S3Credentials, secret);
  if (result === 'mismatch') throw new Unauthorized('Credential signature mismatch');
  if (result !== 'ok') throw new Unauthorized('Invalid EC2 signature.');
};

function checkTimestamp(services: Services, credentials: Record<string, unknown>): void {
  const result = checkTimestampDetailed(credentials as Ec2Credentials, services.conf.credential.auth_ttl);
  if (result === 'invalid') {
    const params = (credentials.params ?? {}) as Record<string, unknown>;
    const headers = (credentials.headers ?? {}) as Record<string, unknown>;
    const given = params.Timestamp || headers['X-Amz-Date'] || params['X-Amz-Date'];
    throw new Unauthorized(`Credential timestamp is invalid: Unable to parse date string '${pyStr(given)}'`);
  }
  if (result === 'expired') throw new Unauthorized('Credential is expired');
}

async function assertUsable(services: Services, cred: Ec2Credential): Promise<{ userId: string; projectId: string }> {
  const project = cred.projectId ? await services.resource.findProject(cred.projectId) : null;
  if (!project) throw new EntityNotFound('project', cred.projectId ?? '');
  const user = await services.identity.getUser(cred.userId);
  const domain = await services.resource.findDomain(user.domainId);
  if (!user.enabled || !domain?.enabled) throw new Unauthorized();
  if (!(await projectUsable(services, project))) throw new Unauthorized();
  return { userId: user.id, projectId: project.id };
}

/** The role ids the token will carry, and the user it is issued for. */
async function delegatedRoles(services: Services, cred: Ec2Credential, userId: string, projectId: string): Promise<{ roleIds: string[]; tokenUserId: string }> {
  if (cred.trustId) {
    const trust = await services.trusts.getTrust(cred.trustId);
    return { roleIds: trust.roleIds, tokenUserId: trust.impersonation ? trust.trusteeUserId : userId };
  }
  if (cred.appCredId) {
    const appCred = await services.applicationCredentials.find(cred.appCredId);
    if (!appCred) throw new EntityNotFound('Application Credential', cred.appCredId);
    if (appCred.projectId !== projectId) {
      throw new Unauthorized('EC2 credential project does not match the application credential project.');
    }
    return { roleIds: appCred.roles.map((r) => r.id), tokenUserId: userId };
  }
  if (cred.accessTokenId) {
    // OAuth1 access tokens are not kept here: the credential cannot be honoured.
    throw new Unauthorized('EC2 credential project does not match the OAuth1 access token project.');
  }
  return { roleIds: (await services.assignment.rolesForUserOnProject(userId, projectId)).map((r) => r.id), tokenUserId: userId };
}

async function verify(services: Services, credentials: Record<string, unknown>, checkSignature: SignatureCheck): Promise<Ec2Identity> {
  if (!Object.prototype.hasOwnProperty.call(credentials, 'access')) throw new Unauthorized('EC2 Signature not supplied');
  const accessKey = typeof credentials.access === 'string' ? credentials.access : JSON.stringify(credentials.access);
  const cred = await services.credentials.findEc2ByAccess(accessKey);
  checkSignature(credentials, cred.secret);
  const { userId, projectId } = await assertUsable(services, cred);
  checkTimestamp(services, credentials);
  const { roleIds, tokenUserId } = await delegatedRoles(services, cred, userId, projectId);
  if (roleIds.length === 0) throw new Unauthorized('User not valid for project.');
  for (const id of roleIds) await services.assignment.getRole(id);
  return {
    userId: tokenUserId, projectId, accessKey,
    ...(cred.trustId ? { trustId: cred.trustId } : {}),
    ...(cred.appCredId ? { appCredId: cred.appCredId } : {}),
  };
}

/** POST /v3/ec2tokens: AWS signature versions 0, 1, 2 and 4 (keystoneclient's Ec2Signer). */
export function verifyEc2Credentials(services: Services, credentials: Record<string, unknown>): Promise<Ec2Identity> {
  return verify(services, credentials, checkEc2);
}

/** POST /v3/s3tokens: {access, signature, token} with token the base64 string to sign (v1 or v4). */
export function verifyS3Credentials(services: Services, credentials: Record<string, unknown>): Promise<Ec2Identity> {
  return verify(services, credentials, checkS3);
}

/** The token Keystone issues for a verified EC2/S3 request (method "ec2credential", project-scoped). */
export function issueEc2Token(services: Services, identity: Ec2Identity): Promise<ValidatedToken> {
  return services.token.issueToken({
    userId: identity.userId, methods: ['ec2credential'], projectId: identity.projectId,
    ...(identity.trustId ? { trustId: identity.trustId } : {}),
    ...(identity.appCredId ? { appCredId: identity.appCredId } : {}),
  });
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
