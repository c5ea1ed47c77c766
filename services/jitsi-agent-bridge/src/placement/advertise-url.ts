import { networkInterfaces } from 'node:os';

/**
 * Where the other bridge replicas reach this one: BRIDGE_ADVERTISE_URL when given, else this
 * host's own address on PORT. A pod, a Compose container and a Railway replica each have one
 * address of their own, which is exactly what reaching *this* replica (not the Service in front
 * of all of them) needs.
 */
export function advertiseUrl(configured: string | undefined, host: string, port: number): string {
  if (configured !== undefined) return configured;
  if (host !== '::' && host !== '0.0.0.0') return `http://${bracketed(host)}:${port}`;
  return `http://${bracketed(ownAddress())}:${port}`;
}

/** The first external IPv4 address, else the first global IPv6 one, else loopback. */
function ownAddress(): string {
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((address) => address !== undefined && !address.internal);
  const ipv4 = addresses.find((address) => address?.family === 'IPv4');
  if (ipv4 !== undefined) return ipv4.address;
  const ipv6 = addresses.find((address) => address?.family === 'IPv6' && !address.address.startsWith('fe80'));
  return ipv6?.address ?? '127.0.0.1';
}

function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
