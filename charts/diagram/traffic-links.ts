import {
  DatabaseOutputRef,
  dependencyOf,
  Interpolation,
  isManagedDatabase,
  ServiceEndpointRef,
  servicesOf,
  StackService,
  UniqueList,
  type EnvValue,
  type ManagedDatabase,
  type ServiceData,
  type SingleReference,
  type StackEnvironment,
} from '../../constructs/index.ts';

/** A service outside the stack, as a service of the stack names it. */
export type ExternalService = ServiceData['externalServices'][number];

/**
 * One connection of the model, the same on every target: who reaches whom, and how. The
 * transport comes from the reference (a URL's scheme, TCP for a host or a port, a database's
 * wire protocol) and what it carries from the port's `appProtocol`. What a target changes about
 * it (TLS at its edge, a proxy between places) the diagram adds per target.
 */
export interface TrafficLink {
  readonly from: StackService;
  readonly to: StackService | ExternalService;
  /** `HTTP 8080 /mcp: MCP`, `TCP: Redis RESP`, `HTTPS: OpenID Connect`. */
  readonly label: string;
  /** Media sent to the receiver's public address, not over a private network. */
  readonly toPublicAddress: boolean;
}

/**
 * Every connection between an environment's services and to the services outside it, by
 * service in declaration order. A dependency that carries nothing (`dependsOn` alone) is no
 * connection: it is start order, which the page lists apart.
 */
export function trafficLinks(environment: StackEnvironment): TrafficLink[] {
  const services = servicesOf(environment);
  return services.flatMap((from) => {
    const links = new Map<string, TrafficLink>();
    const add = (to: StackService | ExternalService, label: string, toPublicAddress = false) => {
      links.set(`${to.name}\n${label}`, { from, to, label, toPublicAddress });
    };
    for (const value of Object.values(from.env)) {
      // A service naming its own address (the Host names it accepts) does not connect to itself.
      for (const use of referenceUses(value).filter((candidate) => dependencyOf(candidate.ref) !== from)) {
        if (use.ref instanceof ServiceEndpointRef && use.ref.service instanceof StackService) add(use.ref.service, endpointLabel(use));
        if (use.ref instanceof DatabaseOutputRef && isManagedDatabase(use.ref.database)) add(use.ref.database, databaseLabel(use.ref.database));
      }
    }
    for (const to of services) {
      for (const range of to.portRangesFor(from)) add(to, withProtocol(`TCP ${range.start}-${range.end}`, range.appProtocol));
    }
    // Replicas forward to each other only where there are several.
    if (from.data.replicas > 1) {
      for (const port of from.data.peerPorts) add(from, withProtocol(`TCP ${port} between replicas`, from.findPort(port)?.appProtocol));
    }
    if (from.data.udpEgress !== undefined) {
      for (const to of services.filter((candidate) => candidate !== from)) {
        for (const port of to.publicPorts.filter((candidate) => candidate.protocol === 'udp')) {
          add(to, `${withProtocol(`UDP ${port.port}`, port.appProtocol)}, to its public address`, true);
        }
      }
    }
    for (const external of from.data.externalServices) add(external, external.protocol);
    return [...links.values()].sort(byTarget);
  });
}

/** Services of the stack first, then those outside it; each by name, then label. */
function byTarget(a: TrafficLink, b: TrafficLink): number {
  const outside = (link: TrafficLink) => (link.to instanceof StackService ? 0 : 1);
  return outside(a) - outside(b) || a.to.name.localeCompare(b.to.name) || a.label.localeCompare(b.label);
}

/** A reference inside a value, with the literal text right after it (where a URL's path goes on). */
interface ReferenceUse {
  readonly ref: SingleReference;
  readonly after?: string;
  /** More of the value follows that text (a secret in the path, say). */
  readonly more: boolean;
}

function referenceUses(value: EnvValue): ReferenceUse[] {
  if (typeof value === 'string') return [];
  if (value instanceof UniqueList) return value.items.flatMap(referenceUses);
  if (!(value instanceof Interpolation)) return [{ ref: value, more: false }];
  return value.parts.flatMap((part, index): ReferenceUse[] => {
    if (typeof part === 'string') return [];
    const next = value.parts[index + 1];
    return [{ ref: part, ...(typeof next === 'string' ? { after: next } : {}), more: index + 2 < value.parts.length }];
  });
}

/** `HTTP 8080 /sse/…: MCP`: the scheme of a URL (TCP for a host or a port), the port or its range, the path. */
function endpointLabel(use: ReferenceUse): string {
  const ref = use.ref as ServiceEndpointRef;
  const to = ref.service as StackService;
  const range = to.findPortRange(ref.port);
  const port = range === undefined ? to.findPort(ref.port) : undefined;
  const transport = ref.form === 'url' ? ref.scheme.toUpperCase() : port?.protocol === 'udp' ? 'UDP' : 'TCP';
  const ports = range === undefined ? String(ref.port) : `${range.start}-${range.end}`;
  const path = ref.form === 'url' ? urlPath(ref, use) : '';
  return withProtocol(`${transport} ${ports}${path !== '' ? ` ${path}` : ''}`, port?.appProtocol ?? range?.appProtocol);
}

/** The path a URL reference goes on to: its own, or the literal after it (`/sse/`), `…` where a secret follows. */
function urlPath(ref: ServiceEndpointRef, use: ReferenceUse): string {
  if (ref.path !== '') return ref.path;
  if (use.after === undefined || !use.after.startsWith('/')) return '';
  const path = use.after.split(/[?#\s]/)[0] ?? '';
  if (path === '/') return '';
  return use.more || path !== use.after ? `${path}…` : path;
}

/**
 * A database's wire protocol, without a port: where the target provides the database (Railway's
 * own, one outside the cluster) its connection secret, not the model, holds the port.
 */
function databaseLabel(database: ManagedDatabase): string {
  return withProtocol('TCP', database.findPort(database.clientPort)?.appProtocol);
}

function withProtocol(transport: string, appProtocol: string | undefined): string {
  return appProtocol === undefined ? transport : `${transport}: ${appProtocol}`;
}
