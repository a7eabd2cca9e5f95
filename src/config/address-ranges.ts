/**
 * Lists of IP addresses and networks in keystone.conf (e.g. [healthcheck]
 * allowed_source_ranges): each entry an IPv4 or IPv6 address or a network
 * in CIDR notation, as Python's ipaddress.ip_network reads them (host bits
 * are tolerated and masked). A client connected over IPv4-mapped IPv6
 * (::ffff:10.0.0.1, when the service binds ::) is matched as its IPv4
 * address.
 */
import { BlockList, isIP } from 'node:net';

function parse(entry: string): { address: string; family: 'ipv4' | 'ipv6'; bits?: number } | string {
  const [address = '', bits, extra] = entry.trim().split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return `${JSON.stringify(entry)} is not an IP address or network`;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  if (bits === undefined) return { address, family };
  const max = version === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return `${JSON.stringify(entry)} has a prefix length outside 0..${max}`;
  return { address, family, bits: Number(bits) };
}

/** Why a list of addresses and networks is refused (the first bad entry), or undefined: an option's `check`. */
export function addressRangesProblem(entries: readonly string[]): string | undefined {
  for (const entry of entries) {
    const parsed = parse(entry);
    if (typeof parsed === 'string') return parsed;
  }
  return undefined;
}

/** The addresses and networks of a list (entries addressRangesProblem refuses are left out). */
export function addressRanges(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const parsed = parse(entry);
    if (typeof parsed === 'string') continue;
    if (parsed.bits === undefined) list.addAddress(parsed.address, parsed.family);
    else list.addSubnet(parsed.address, parsed.bits, parsed.family);
  }
  return list;
}

/** Whether a peer address (as node's socket.remoteAddress gives it) is in the list. */
export function addressInRanges(list: BlockList, remoteAddress: string | undefined): boolean {
  if (!remoteAddress) return false;
  const mapped = remoteAddress.startsWith('::ffff:') && isIP(remoteAddress.slice(7)) === 4 ? remoteAddress.slice(7) : remoteAddress;
  const version = isIP(mapped);
  if (version === 0) return false;
  return list.check(mapped, version === 4 ? 'ipv4' : 'ipv6');
}
