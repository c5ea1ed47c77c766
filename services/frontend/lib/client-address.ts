import ipaddr from 'ipaddr.js';

/**
 * The client's address as a rate-limit key.
 *
 * Trust assumption: the console runs behind `trustedProxyHops` reverse proxies (an ingress, a
 * platform's edge) that each append the address they saw to X-Forwarded-For, so the entry that
 * many places from the right was written by our own outermost proxy and anything to its left by
 * the client. Next.js's server fills the header with the peer address only when a request has
 * none, so a client that reaches the console directly can choose its own address: in production
 * it is reached only through its proxy (Kubernetes' ingress, Railway's edge); the development
 * Compose file publishes it directly, which is fine on a developer's machine.
 *
 * IPv6 clients are keyed by their /64, the block one subscriber usually gets, so hopping between
 * addresses of one's own block does not buy more requests.
 */
export function clientAddress(forwardedFor: string | null, trustedProxyHops: number): string {
  const entries = (forwardedFor ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const entry = entries[Math.max(0, entries.length - trustedProxyHops)];
  return entry === undefined ? 'unknown' : normalize(entry);
}

function normalize(entry: string): string {
  // Some proxies write "[v6]:port" or "v4:port".
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  const text = bracketed?.[1] ?? (/^[\d.]+:\d+$/.test(entry) ? entry.replace(/:\d+$/, '') : entry);
  if (!ipaddr.isValid(text)) return 'unknown';
  const address = ipaddr.process(text); // an IPv4-mapped IPv6 address becomes the IPv4 one
  if (address.kind() === 'ipv4') return address.toString();
  const block = ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/64`);
  return `${block.toString()}/64`;
}
