/**
 * Which tokens are delegations (Keystone's api/_shared/delegation.py): a
 * token whose methods are not all primary methods (an application
 * credential, an OAuth1 access token, an EC2 credential…), or that lost
 * its methods, was issued through a delegated credential. Trust-scoped
 * tokens are delegations too for the resources that say so.
 */
import type { KeystoneConfig } from '../config/options.js';
import type { Caller } from '../auth/caller.js';

const PRIMARY_AUTH_METHODS = ['external', 'kerberos', 'mapped', 'openid', 'password', 'saml2', 'token', 'totp', 'x509'];

export function isDelegatedMethod(conf: KeystoneConfig, caller: Caller): boolean {
  if (caller.isAdminToken) return false;
  const primary = new Set([...PRIMARY_AUTH_METHODS, ...conf.auth.additional_primary_auth_methods]);
  return caller.methods.length === 0 || caller.methods.some((m) => !primary.has(m));
}
