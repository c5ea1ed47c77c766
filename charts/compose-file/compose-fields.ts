import type { StackService } from '../../constructs/index.ts';
import type { FieldLoss, TargetFields } from '../target-fields.ts';

/**
 * What Compose renders of each field of the service model. Nothing Compose drops is unsafe to
 * drop (nothing here is an error): it runs one developer's stack, or the services Railway cannot
 * host, and each loss is said in dist/<env>.md.
 */
export const COMPOSE_FIELDS: TargetFields = {
  description: 'rendered', // x-voice-agent.description
  image: 'rendered',
  build: 'rendered', // build, and develop.watch on its paths
  // A port's appProtocol is documentation for dist/<env>.md, not rendered as Compose's app_protocol.
  ports: 'rendered', // public ones published on the host; the project network carries the rest
  portRanges: 'rendered', // expose
  healthCheck: (service) => {
    const check = service.data.healthCheck;
    if (check === undefined || check.exec !== undefined || check.http === undefined) return undefined;
    return {
      value: `HTTP ${check.http.path} on ${check.http.port}`,
      problem: 'Compose runs only commands as health checks, so it gets none and its dependents wait only for it to start',
    };
  },
  replicas: (service) => composeReplicas(service).loss,
  resources: 'rendered', // deploy.resources: limits and reservations
  volumes: 'rendered', // named volumes and tmpfs
  runAs: 'rendered', // user
  readOnlyRootFilesystem: 'rendered', // read_only
  platform: 'rendered',
  command: 'rendered', // entrypoint
  // Compose could cut egress only with an internal network, where published ports do not work.
  egressToInternet: (service) =>
    service.data.egressToInternet ? undefined : { value: 'false', problem: 'every container on Compose can reach the internet' },
  udpEgress: 'rendered', // Docker lets every container send UDP out
  rollout: (service) =>
    service.data.rollout === 'rolling'
      ? { value: '"rolling"', problem: 'docker compose up stops the old container before it starts the new one, so an update has a short outage' }
      : undefined,
  addressing: 'rendered', // one Compose service per replica, <service>-<i>, with that hostname
  drain: (service) =>
    service.data.drain?.preStop === undefined
      ? undefined // stop_grace_period
      : {
          value: JSON.stringify(service.data.drain.preStop),
          problem: 'Compose has no pre-stop hook, so the container drains on SIGTERM alone, within stop_grace_period',
        },
  peerPorts: 'not-needed', // the project network carries every port between containers
  tier: 'rendered', // profiles: [voice] for the voice tier (on the local Compose file)
  externalServices: 'not-needed', // documentation: dist/<env>.md draws them; every container reaches the internet
  metrics: 'rendered', // a scrape job of the Prometheus in the observability profile
};

/**
 * How many containers Compose runs for a service. More than one would fail on a published host
 * port (only one container can bind it) or share one named volume between them (two databases
 * writing one data directory), so those run one container and say why: fewer replicas locally is
 * safe, a broken or shared one is not.
 */
export function composeReplicas(service: StackService): { readonly replicas: number; readonly loss?: FieldLoss } {
  const replicas = service.data.replicas;
  if (replicas <= 1) return { replicas };
  const published = service.publicPorts.map((port) => `${port.hostPort ?? port.port}${port.protocol === 'udp' ? '/udp' : ''}`);
  if (published.length > 0) {
    return {
      replicas: 1,
      loss: { value: `${replicas}, host port ${published.join(', ')}`, problem: 'only one container can publish a host port, so Compose runs 1 replica' },
    };
  }
  if (service.persistentVolumes.length > 0) {
    return {
      replicas: 1,
      loss: { value: String(replicas), problem: 'replicas would share one named volume, so Compose runs 1 replica' },
    };
  }
  return { replicas };
}
