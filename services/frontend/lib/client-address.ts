import { isIPv4, isIPv6 } from 'node:net';

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
  const address = bracketed?.[1] ?? (/^[\d.]+:\d+$/.test(entry) ? entry.replace(/:\d+$/, '') : entry);
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, in lower-case hex without leading zeros. */
function expandIPv6(address: string): string[] {
  const withoutZone = address.split('%')[0] ?? address;
  const [head = '', tail] = withoutZone.split('::');
  const groups = (text: string) => (text === '' ? [] : text.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const missing = 8 - left.length - right.length;
  return [...left, ...Array.from({ length: Math.max(0, missing) }, () => '0'), ...right].map((group) => parseInt(group, 16).toString(16));
}
