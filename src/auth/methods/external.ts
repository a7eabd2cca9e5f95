/**
 * The external method (Keystone's REMOTE_USER, DefaultDomain plugin): a
 * front proxy (Apache with Kerberos or X.509) authenticated the caller and
 * names the user in [external_auth] remote_user_header. The header is
 * believed only on connections from [external_auth] trusted_proxies
 * (addresses or CIDR ranges) and ignored from anyone else. The user is
 * looked up by name in [identity] default_domain_id.
 */
import { BlockList, isIP } from 'node:net';
import type { Request } from 'express';
import { Unauthorized } from '../../common/errors.js';
import type { KeystoneConfig } from '../../config/options.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { AuthMethod, AuthMethodResult } from './method.js';

function normalizeAddress(address: string | undefined): string | undefined {
  if (!address) return undefined;
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

const proxyLists = new WeakMap<KeystoneConfig, BlockList>();

function trustedProxies(conf: KeystoneConfig): BlockList {
  let list = proxyLists.get(conf);
  if (list) return list;
  list = new BlockList();
  for (const entry of conf.external_auth.trusted_proxies) {
    const [addr, bits] = entry.trim().split('/');
    const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (!isIP(addr)) continue;
    if (bits !== undefined) list.addSubnet(addr, Number(bits), family);
    else list.addAddress(addr, family);
  }
  proxyLists.set(conf, list);
  return list;
}

/** REMOTE_USER of the request: the configured header, from a trusted proxy only. */
export function remoteUserOf(req: Request, conf: KeystoneConfig): string | undefined {
  const header = req.headers[conf.external_auth.remote_user_header.toLowerCase()];
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const address = normalizeAddress(req.socket.remoteAddress);
  if (!address || conf.external_auth.trusted_proxies.length === 0) return undefined;
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  return trustedProxies(conf).check(address, family) ? value : undefined;
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
