import { servicesOf, type StackService } from '../../constructs/index.ts';
import type { TargetFields } from '../target-fields.ts';
import { isOffRailway, offRailwayHost } from '../railway-placement.ts';

/**
 * What the Railway rendering (`railway/iac`) makes of each field of the service model, for the
 * services that run on Railway (not its managed databases, not the services placed off Railway).
 *
 * Errors are kept for what cannot run there, or would run unsafely without the field: a second
 * volume, replicas sharing a volume, public UDP, a command Railway's start command cannot carry
 * (the image's own entrypoint would run instead, without the flags the command adds). The rest
 * weakens what Kubernetes enforces without breaking the service, so it is a warning.
 */
export const RAILWAY_FIELDS: TargetFields = {
  description: 'not-needed', // documentation: dist/<env>.md shows it
  image: 'rendered', // image()
  build: 'rendered', // github() with rootDirectory, dockerfilePath and watchPatterns
  // A port's appProtocol is documentation for dist/<env>.md: Railway has no setting for it.
  ports: (service) => {
    const udp = service.publicPorts.find((port) => port.protocol === 'udp');
    if (udp === undefined) return undefined;
    return {
      value: `${udp.port}/udp`,
      path: `ports[${service.data.ports.indexOf(udp)}]`,
      severity: 'error',
      problem:
        `Railway has no public UDP, so public port ${udp.port}/udp cannot run there; ` +
        `list "${service.name}" in railway.offRailway to render it for a UDP-capable host instead`,
    };
  },
  portRanges: 'not-needed', // Railway's private network carries every port
  healthCheck: (service) => {
    const check = service.data.healthCheck;
    if (check === undefined) return undefined;
    if (check.http === undefined) {
      return { value: 'a command only', problem: 'Railway gates a deploy only on an HTTP health check, so it deploys this service without one' };
    }
    const probePort = railwayProbePort(service);
    if (check.http.port === probePort) return undefined;
    return {
      value: `HTTP ${check.http.path} on ${check.http.port}, PORT=${probePort}`,
      problem: 'Railway probes the port in PORT, which this service gives another server, so it deploys without a health gate (check the path after a deploy)',
    };
  },
  replicas: (service) => {
    const volume = service.persistentVolumes[0];
    if (volume === undefined || service.data.replicas <= 1) return undefined;
    return {
      value: String(service.data.replicas),
      severity: 'error',
      problem: `Railway cannot run replicas of a service with a volume, got ${service.data.replicas} replicas and volume "${volume.name}"`,
    };
  },
  resources: (service) => {
    const { cpuMillicores, memoryMiB } = service.data.resources;
    return {
      value: `${cpuMillicores}m CPU, ${memoryMiB} MiB`,
      problem: 'Railway reserves neither CPU nor memory for a service; it renders only their limits (deploy.limitOverride)',
    };
  },
  volumes: (service) => {
    // Scratch volumes need nothing: Railway's root filesystem is writable (see readOnlyRootFilesystem).
    const persistent = service.persistentVolumes;
    if (persistent.length <= 1) return undefined;
    return {
      value: persistent.map((volume) => volume.name).join(', '),
      severity: 'error',
      problem: `Railway allows one volume per service, got ${persistent.length} (${persistent.map((volume) => volume.name).join(', ')})`,
    };
  },
  runAs: (service) => ({
    value: `${service.data.runAs.uid}:${service.data.runAs.gid}`,
    problem: 'Railway has no setting for the user a container runs as; each image runs as the USER it names',
  }),
  readOnlyRootFilesystem: (service) =>
    service.data.readOnlyRootFilesystem
      ? { value: 'true', problem: "Railway mounts the image's filesystem writable (so the scratch volumes are not needed there)" }
      : undefined,
  platform: (service) =>
    service.data.platform === undefined
      ? undefined
      : { value: `"${service.data.platform}"`, problem: 'Railway has no platform setting; the image must suit the hosts Railway runs it on' },
  command: (service) => {
    const command = service.data.command;
    if (command === undefined || railwayStartCommand(command) !== undefined) return undefined;
    return {
      value: JSON.stringify(command),
      severity: 'error',
      problem:
        'Railway takes the command as one start command line, split at spaces with double-quoted words kept whole, so a word with " or \\ cannot be ' +
        "passed reliably, and without the command the image's own entrypoint would run; put the command in a script in the image",
    };
  },
  egressToInternet: (service) =>
    service.data.egressToInternet ? undefined : { value: 'false', problem: 'every service on Railway can reach the internet' },
  // Railway documents UDP only on its private network, not out of it.
  udpEgress: (service) => {
    const udp = service.data.udpEgress;
    if (udp === undefined) return undefined;
    const environment = service.environment;
    const offHost = servicesOf(environment).filter((other) => isOffRailway(environment, other.name) && other.publicPorts.some((port) => port.protocol === 'udp'));
    const where = offHost.length > 0 ? `; this environment's public UDP runs off Railway (${offHost.map((other) => `"${other.name}"`).join(', ')} on ${offRailwayHost(environment)})` : '';
    return { value: udp, problem: `Railway documents no outbound UDP, so on Railway this service can count only on its fallback${where}` };
  },
  rollout: (service) => {
    const hasVolume = service.persistentVolumes.length > 0;
    if (service.data.rollout === 'recreate' && !hasVolume) {
      return { value: '"recreate"', problem: 'Railway starts the new deployment before it stops the old one, so both run until the new one is healthy' };
    }
    if (service.data.rollout === 'rolling' && hasVolume) {
      return { value: '"rolling"', problem: 'Railway stops the old deployment of a service with a volume before it starts the new one, so an update has a short outage' };
    }
    return undefined;
  },
  // Railway's private DNS name resolves to every replica of a service, and there is no name for one.
  addressing: (service) =>
    service.data.addressing === 'replica'
      ? {
          value: `"replica", ${service.data.replicas} replica(s)`,
          problem:
            'Railway has no per-replica DNS name (<service>.railway.internal resolves to all its replicas), so each replica is a Railway service of its own, ' +
            '<service>-0 … <service>-<n-1>, with 1 replica, its own private domain and its REPLICA_NAME written in; each deploys on its own. ' +
            "Unverified: whether that private domain still reaches the old deployment while it drains; if Railway moves it to the new one at once, the old one's sessions lose their /ping and are cut, so an update of it may drop calls on Railway",
        }
      : undefined,
  // Rendered as deploy.drainingSeconds; what Railway cannot control about the rollout is said here.
  drain: (service) => {
    const drain = service.data.drain;
    if (drain === undefined) return undefined;
    const noHook = drain.preStop !== undefined ? '; and it has no pre-stop hook, so the container drains on SIGTERM alone' : '';
    return {
      value: `${drain.seconds} s + ${drain.marginSeconds} s margin = drainingSeconds ${drain.seconds + drain.marginSeconds}`,
      problem:
        'Railway has no surge or ordered rollout control: a new deployment overlaps the old one for overlapSeconds, then the old one gets SIGTERM ' +
        `and drainingSeconds before SIGKILL, whatever the other replicas are doing${noHook}`,
    };
  },
  peerPorts: 'not-needed', // Railway's private network carries every port between services and replicas
  tier: 'not-needed', // a Railway environment runs the whole stack; the tier only chooses what Compose starts by default
  externalServices: 'not-needed', // documentation: dist/<env>.md draws them; every service on Railway reaches the internet
  // Railway's own metrics are CPU, memory and network per service; it runs no Prometheus and has
  // no scrape configuration to render.
  metrics: (service) =>
    service.data.metrics === undefined
      ? undefined
      : {
          value: `port ${service.data.metrics.port}, ${service.data.metrics.path}`,
          problem:
            "Railway scrapes no Prometheus metrics (its dashboard shows CPU, memory and network only): the series are served on the private network, " +
            'for a Prometheus you run in the project yourself; no alert rules or dashboard are rendered for Railway',
        },
};

/** The port Railway probes: the service's own PORT if it sets one, else its health or public port. */
export function railwayProbePort(service: StackService): number | undefined {
  const ownPort = service.env['PORT'];
  if (typeof ownPort === 'string') return Number(ownPort);
  return service.data.healthCheck?.http?.port ?? service.publicHttpPort?.port;
}

/**
 * The model's command as Railway's start command, which replaces the image's entrypoint in exec
 * form: words joined by spaces, a word with a space or a single quote in double quotes (as
 * Railway's own example `/bin/sh -c "exec python main.py --port $PORT"` is written). Undefined
 * when a word holds `"` or `\`, whose escaping Railway does not document.
 */
export function railwayStartCommand(command: readonly string[]): string | undefined {
  if (command.some((word) => /["\\]/.test(word))) return undefined;
  return command.map((word) => (word === '' || /[\s']/.test(word) ? `"${word}"` : word)).join(' ');
}

/** Railway's per-replica limits: vCPUs (fractions allowed) and bytes, from the model's ceilings. */
export function railwayLimits(service: StackService): { readonly cpu: number; readonly memoryBytes: number } {
  const { cpuMillicores, cpuLimitMillicores, memoryMiB } = service.data.resources;
  return { cpu: (cpuLimitMillicores ?? cpuMillicores * 2) / 1000, memoryBytes: memoryMiB * 1024 * 1024 };
}
