import type { DevSecrets } from './dev-secrets.ts';
import type { NativeAddress, NativePlacement } from './native-environment.ts';
import type { DevProcess, DevSettings } from './settings.ts';

const LOOPBACK = '127.0.0.1';

/**
 * Which process stands, on this machine, at each service of the development model. Our services
 * are themselves; the TEN agent is its fake; jitsi-web is two stand-ins, since the bridge and the
 * browser need different halves of it: the bridge reaches the private endpoint (lib-jitsi-meet and
 * XMPP), a browser the public URL (the IFrame API script the console embeds).
 */
const STANDS_AT: Readonly<Record<string, DevProcess>> = {
  frontend: 'frontend',
  'mcp-server': 'mcp-server',
  'jitsi-agent-bridge': 'jitsi-agent-bridge',
  'ten-agent': 'ten-agent',
  'jitsi-web': 'jitsi-web',
};

const PUBLIC_STANDS_AT: Readonly<Record<string, DevProcess>> = {
  frontend: 'frontend',
  'jitsi-web': 'jitsi-embed',
};

/** A process's own URL here. */
export function localUrl(settings: DevSettings, process: DevProcess): string {
  return `http://${LOOPBACK}:${settings.ports[process]}`;
}

export function nativePlacement(settings: DevSettings, secrets: DevSecrets): NativePlacement {
  const storeAddress = (url: string, defaultPort: number): NativeAddress => {
    const parsed = new URL(url);
    return { host: parsed.hostname, port: Number(parsed.port || defaultPort) };
  };
  return {
    endpoint(service, _port, replica) {
      if (service === 'postgres') return storeAddress(settings.postgresUrl, 5432);
      if (service === 'redis') return storeAddress(settings.redisUrl, 6379);
      // One fake TEN agent server: a second replica has nothing in its place.
      if (replica !== undefined && replica > 0) return undefined;
      const process = STANDS_AT[service];
      return process === undefined ? undefined : { host: LOOPBACK, port: settings.ports[process] };
    },
    publicUrl(service) {
      const process = PUBLIC_STANDS_AT[service];
      return process === undefined ? undefined : localUrl(settings, process);
    },
    databaseUrl: (engine) => (engine === 'postgres' ? settings.postgresUrl : settings.redisUrl),
    secret: (name) => secrets.get(name),
  };
}
