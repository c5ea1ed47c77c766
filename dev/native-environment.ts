import {
  DatabaseOutputRef,
  Interpolation,
  PublicUrlRef,
  ReplicaNameRef,
  SecretRef,
  UniqueList,
  type DatabaseEngine,
  type EnvValue,
  type StackService,
} from '../constructs/index.ts';

/** An address on this machine. */
export interface NativeAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Where the development model's references lead on this machine: the process that runs in each
 * service's place, the local PostgreSQL and Redis, and the secrets generated for this run. It is
 * to `npm run dev` what a target's placement is to its renderer.
 */
export interface NativePlacement {
  /** Where a port of a service (of one replica) listens here; undefined when nothing runs in its place. */
  endpoint(service: string, port: number, replica: number | undefined): NativeAddress | undefined;
  /** What a browser opens for a service's public port; undefined when nothing runs in its place. */
  publicUrl(service: string): string | undefined;
  databaseUrl(engine: DatabaseEngine): string;
  secret(name: string): string;
}

/**
 * A service's environment as the development model gives it, every reference resolved natively:
 * the same literals, secrets and wiring a Compose rendering has, with its service names and ports
 * replaced by this machine's. `instanceName` is what the service calls itself (a replica's name
 * for a service addressed per replica).
 */
export function nativeEnvironment(service: StackService, placement: NativePlacement, instanceName = service.name): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [variable, value] of Object.entries(service.env)) {
    const resolve = (part: EnvValue): string => {
      if (typeof part === 'string') return part;
      if (part instanceof Interpolation) return part.parts.map(resolve).join('');
      if (part instanceof UniqueList) return resolve(part.distinct(resolve));
      if (part instanceof SecretRef) return placement.secret(part.name);
      if (part instanceof ReplicaNameRef) return instanceName;
      if (part instanceof PublicUrlRef) {
        const url = placement.publicUrl(part.service.name);
        if (url === undefined) throw nothingInPlace(service, variable, `the public URL of "${part.service.name}"`);
        return url;
      }
      if (part instanceof DatabaseOutputRef) return databaseOutput(placement.databaseUrl(part.database.engine), part.output);
      const address = placement.endpoint(part.service.name, part.port, part.replica);
      if (address === undefined) throw nothingInPlace(service, variable, `"${part.service.name}" port ${part.port}`);
      return part.text(address.host, address.port);
    };
    environment[variable] = resolve(value);
  }
  return environment;
}

/** One of a database's fixed outputs, read from its connection URL. */
function databaseOutput(connectionUrl: string, output: DatabaseOutputRef['output']): string {
  if (output === 'url') return connectionUrl;
  const url = new URL(connectionUrl);
  switch (output) {
    case 'host':
      return url.hostname;
    case 'port':
      return url.port;
    case 'user':
      return decodeURIComponent(url.username);
    case 'password':
      return decodeURIComponent(url.password);
    case 'database':
      return decodeURIComponent(url.pathname.slice(1));
  }
}

function nothingInPlace(service: StackService, variable: string, what: string): Error {
  return new Error(`service "${service.name}" reads ${what} in ${variable}, and npm run dev runs nothing in its place (dev/native-placement.ts)`);
}
