import { BlockList, isIP } from 'node:net';
import type { TrustProxy } from '@digest/config';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/**
 * The client's address: the peer of the connection, or, behind trusted proxies, the address
 * they recorded in X-Forwarded-For. Entries left of the trusted ones are the client's own words
 * and never believed.
 */
export function clientAddressOf(trust: TrustProxy): (c: Context) => string {
  const trusted = 'cidrs' in trust ? blockList(trust.cidrs) : undefined;
  return (c) => {
    const peer = peerAddress(c);
    const forwarded = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((entry) => plainAddress(entry.trim()))
      .filter(Boolean);
    // Nearest hop last: each proxy appends the address it received the request from.
    const chain = [...forwarded, peer];
    if (!trusted) {
      const hops = (trust as { hops: number }).hops;
      return validOr(chain[Math.max(0, chain.length - 1 - hops)], peer);
    }
    let index = chain.length - 1;
    while (index > 0 && isTrusted(trusted, chain[index] as string)) index--;
    return validOr(chain[index], chain[index + 1] ?? peer);
  };
}

/**
 * The bucket a client's requests are counted in: its IPv4 address, or the /64 of an IPv6 one
 * (one subscriber line gets a whole /64 and can rotate freely inside it).
 */
export function clientBucket(address: string): string {
  if (isIP(address) !== 6) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

function peerAddress(c: Context): string {
  try {
    return plainAddress(getConnInfo(c).remote.address ?? '') || 'unknown';
  } catch {
    // app.request() in tests has no socket.
    return 'unknown';
  }
}

/** `::ffff:192.0.2.1` is the IPv4 client 192.0.2.1 on a dual-stack socket. */
function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return (mapped?.[1] ?? address).toLowerCase();
}

/** An entry that is not an address (garbage in the header) is never the client: the hop after it is. */
function validOr(candidate: string | undefined, fallback: string): string {
  return candidate && isIP(candidate) ? candidate : fallback;
}

function blockList(cidrs: string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address = '', bits] = cidr.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return list;
}

function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** The eight groups of an IPv6 address, `::` expanded. */
function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array(missing).fill('0'), ...right].map((group) => group.padStart(4, '0'));
}
