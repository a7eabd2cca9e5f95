/**
 * The external method (Keystone's REMOTE_USER, DefaultDomain plugin): a
 * front proxy (Apache with Kerberos or X.509) authenticated the caller and
 * names the user in [external_auth] remote_user_header. The header is
 * believed only on connections from [external_auth] trusted_proxies
 * (addresses or CIDR ranges) and ignored from anyone else. The user is
 * looked up by name in [identity] default_domain_id.
 */
import type { BlockList } from 'node:net';
import type { Request } from 'express';
import { Unauthorized } from '../../common/errors.js';
import type { KeystoneConfig } from '../../config/options.js';
import { addressInRanges, addressRanges } from '../../config/address-ranges.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { AuthMethod, AuthMethodResult } from './method.js';

/**
 * REMOTE_USER of a request: the configured header, from a trusted proxy
 * only. The proxy list (checked when the configuration is read) is parsed
 * once, when first needed.
 */
export function trustedRemoteUser(settings: KeystoneConfig['external_auth']): (req: Request) => string | undefined {
  const headerName = settings.remote_user_header.toLowerCase();
  let proxies: BlockList | undefined;
  return (req) => {
    const header = req.headers[headerName];
    const value = Array.isArray(header) ? header[0] : header;
    if (!value) return undefined;
    if (settings.trusted_proxies.length === 0) return undefined;
    proxies ??= addressRanges(settings.trusted_proxies);
    return addressInRanges(proxies, req.socket.remoteAddress) ? value : undefined;
  };
}

export const externalMethod: AuthMethod = {
  name: 'external',
  async authenticate(_payload: unknown, request, providers: ProviderApi): Promise<AuthMethodResult> {
    if (!request.remoteUser) throw new Unauthorized();
    const user = await providers.identity_api.findUserByName(request.remoteUser, providers.conf.identity.default_domain_id);
    if (!user || !user.enabled) throw new Unauthorized();
    const domain = await providers.resource_api.findDomain(user.domainId);
    if (!domain?.enabled) throw new Unauthorized();
    return { userId: user.id };
  },
};
