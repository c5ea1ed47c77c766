import { describe, expect, it } from 'vitest';
import { clientAddress } from '../lib/client-address.ts';

describe('the client address behind trusted proxies', () => {
  it('is the entry that many places from the right of X-Forwarded-For, whatever the client wrote to its left', () => {
    expect(clientAddress('203.0.113.9', 1)).toBe('203.0.113.9');
    expect(clientAddress('6.6.6.6, 203.0.113.9', 1)).toBe('203.0.113.9');
    expect(clientAddress('6.6.6.6, 203.0.113.9, 10.0.0.2', 2)).toBe('203.0.113.9');
    // Fewer entries than proxies: the leftmost one there is.
    expect(clientAddress('203.0.113.9', 3)).toBe('203.0.113.9');
  });

  it('counts an IPv6 client by its /64, and an IPv4-mapped one as IPv4', () => {
    expect(clientAddress('2001:db8:1:2:aaaa::1', 1)).toBe('2001:db8:1:2::/64');
    expect(clientAddress('2001:db8:1:2:ffff:ffff:ffff:ffff', 1)).toBe('2001:db8:1:2::/64');
    expect(clientAddress('2001:db8::1', 1)).toBe('2001:db8::/64');
    expect(clientAddress('::ffff:198.51.100.7', 1)).toBe('198.51.100.7');
  });

  it('drops ports, and lumps what is no address together', () => {
    expect(clientAddress('198.51.100.7:51234', 1)).toBe('198.51.100.7');
    expect(clientAddress('[2001:db8:1:2::5]:443', 1)).toBe('2001:db8:1:2::/64');
    expect(clientAddress('not-an-address', 1)).toBe('unknown');
    expect(clientAddress('', 1)).toBe('unknown');
    expect(clientAddress(null, 1)).toBe('unknown');
  });
});
