/**
 * The delegation an ec2 credential's blob may name (trust_id, app_cred_id,
 * access_token_id): the EC2/S3 exchange issues its token under it, so a
 * blob may carry one only when it is the creating caller's own, checked
 * when the credential is made (POST /v3/credentials, and the OS-EC2 create
 * of v3 and v2.0):
 *
 *   trust_id         the caller's token is scoped by that trust, or the
 *                    caller is its trustee; the credential's user is the
 *                    trustee and its project the trust's
 *   app_cred_id      the caller's token was issued for that application
 *                    credential; the credential's user and project are its
 *   access_token_id  the caller's token was issued through that OAuth1
 *                    access token
 *
 * Otherwise 403 (400 when the value is not a string). The exchange checks
 * the trust and application credential again (ec2-authenticator.ts): a
 * stored blob is never believed on its own.
 */
import { ForbiddenAction, ValidationError } from '../common/errors.js';
import type { Caller } from '../auth/caller.js';
import type { ProviderApi } from '../common/provider-api.js';

export interface BlobDelegation {
  trust_id?: unknown;
  app_cred_id?: unknown;
  access_token_id?: unknown;
}

export interface CredentialOwner {
  userId: string;
  projectId: string | null;
}

const present = (v: unknown): boolean => v !== undefined && v !== null;

function idOf(blob: BlobDelegation, key: keyof BlobDelegation): string | null {
  const value = blob[key];
  if (!present(value)) return null;
  if (typeof value !== 'string' || value === '') throw new ValidationError(`Invalid ${key} in credential blob`, false);
  return value;
}

const notOwn = (what: string) => new ForbiddenAction(`store ${what} that is not the caller's own delegation in a credential`);

/** Refuses a blob naming a delegation that is not the caller's own (see the file's comment). */
export async function assertOwnDelegation(
  providers: ProviderApi,
  caller: Caller,
  owner: CredentialOwner,
  blob: BlobDelegation,
): Promise<void> {
  const trustId = idOf(blob, 'trust_id');
  const appCredId = idOf(blob, 'app_cred_id');
  const accessTokenId = idOf(blob, 'access_token_id');
  if (trustId) {
    const trust = await providers.trust_api.findTrust(trustId);
    if (!trust) throw notOwn('a trust');
    const callersTrust = caller.trustId === trustId || (!caller.trustId && caller.userId === trust.trusteeUserId);
    if (!callersTrust || owner.userId !== trust.trusteeUserId || owner.projectId !== trust.projectId) throw notOwn('a trust');
  }
  if (appCredId) {
    const cred = await providers.application_credential_api.find(appCredId);
    if (!cred || caller.applicationCredentialId !== appCredId || owner.userId !== cred.userId || owner.projectId !== cred.projectId) {
      throw notOwn('an application credential');
    }
  }
  if (accessTokenId && caller.accessTokenId !== accessTokenId) throw notOwn('an OAuth1 access token');
}
