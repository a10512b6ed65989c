import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { clientAddressOf, clientBucket } from './client.ts';

async function addressSeen(
  trust: Parameters<typeof clientAddressOf>[0],
  peer: string,
  forwardedFor?: string,
) {
  const app = new Hono().get('/', (c) => c.text(clientAddressOf(trust)(c)));
  const headers: Record<string, string> = forwardedFor ? { 'x-forwarded-for': forwardedFor } : {};
  const response = await app.request('/', { headers }, { incoming: { socket: { remoteAddress: peer } } });
  return response.text();
}

describe('client address', () => {
  it('is the peer unless proxies are trusted: X-Forwarded-For alone is a client’s claim', async () => {
    expect(await addressSeen({ hops: 0 }, '203.0.113.9', '198.51.100.1')).toBe('203.0.113.9');
    expect(await addressSeen({ hops: 0 }, '::ffff:203.0.113.9')).toBe('203.0.113.9');
  });

  it('behind N trusted hops, is the address the outermost trusted proxy saw', async () => {
    // The client forged the first entry; the one proxy appended the real address.
    expect(await addressSeen({ hops: 1 }, '10.0.0.2', '1.1.1.1, 198.51.100.7')).toBe('198.51.100.7');
    expect(await addressSeen({ hops: 2 }, '10.0.0.2', '1.1.1.1, 198.51.100.7, 10.0.0.3')).toBe(
      '198.51.100.7',
    );
    expect(await addressSeen({ hops: 3 }, '10.0.0.2', '198.51.100.7')).toBe('198.51.100.7');
    expect(await addressSeen({ hops: 1 }, '10.0.0.2', 'garbage')).toBe('10.0.0.2');
  });

  it('with a CIDR list, skips trusted proxies from the right and stops at the first other address', async () => {
    const trust = { cidrs: ['10.0.0.0/8', '2001:db8:ffff::1'] };
    expect(await addressSeen(trust, '10.1.2.3', '1.1.1.1, 198.51.100.7, 10.9.9.9')).toBe('198.51.100.7');
    expect(await addressSeen(trust, '2001:db8:ffff::1', '2001:db8:1:2::5')).toBe('2001:db8:1:2::5');
    // An untrusted peer is the client, whatever it forwards.
    expect(await addressSeen(trust, '198.51.100.8', '10.0.0.1')).toBe('198.51.100.8');
  });

  it('counts IPv6 clients by their /64', () => {
    expect(clientBucket('2001:db8:1:2::5')).toBe('2001:0db8:0001:0002::/64');
    expect(clientBucket('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:0db8:0001:0002::/64');
    expect(clientBucket('::1')).toBe('0000:0000:0000:0000::/64');
    expect(clientBucket('203.0.113.9')).toBe('203.0.113.9');
  });
});
