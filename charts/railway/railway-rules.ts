import { whyLooksLikeCredential } from '../../constructs/credentials.ts';
import {
  dependenciesOf,
  isManagedDatabase,
  referencesIn,
  SecretRef,
  servicesOf,
  ServiceEndpointRef,
  type StackEnvironment,
} from '../../constructs/index.ts';
import { isOffRailway, railwayHostname } from './placement.ts';

/** Service names Railway's variable syntax reserves: `${{shared.X}}` names a shared variable. */
const RESERVED_NAMES = new Set(['shared']);

/**
 * What Railway cannot run, checked before anything is rendered: one volume per service, no
 * replicas with a volume, no public UDP (unless the service is placed off Railway), and no way
 * to reach a service placed off Railway from Railway's private network.
 */
export function checkRailwayRules(environment: StackEnvironment): void {
  for (const service of servicesOf(environment)) {
    if (RESERVED_NAMES.has(service.name)) {
      service.fail('name', `"${service.name}" cannot be a Railway service name: \${{${service.name}.X}} means a shared variable there`);
    }
    if (isOffRailway(environment, service.name)) {
      checkOffRailway(environment, service.name);
      continue;
    }
    if (isManagedDatabase(service)) continue;
    const persistent = service.persistentVolumes;
    if (persistent.length > 1) {
      service.fail('volumes', `Railway allows one volume per service, got ${persistent.length} (${persistent.map((v) => v.name).join(', ')})`);
    }
    if (persistent.length > 0 && service.data.replicas > 1) {
      service.fail('replicas', `Railway cannot run replicas of a service with a volume, got ${service.data.replicas} replicas and volume "${persistent[0]?.name}"`);
    }
    for (const [name, value] of Object.entries(service.env)) {
      for (const ref of referencesIn(value)) {
        if (ref instanceof ServiceEndpointRef && isOffRailway(environment, ref.service.name)) {
          service.fail(`env.${name}`, `refers to "${ref.service.name}", which runs off Railway and is not reachable from Railway's private network`);
        }
      }
    }
    const udp = service.publicPorts.find((port) => port.protocol === 'udp');
    if (udp !== undefined) {
      service.fail(
        `ports[${service.data.ports.indexOf(udp)}]`,
        `Railway has no public UDP, so public port ${udp.port}/udp cannot run there; ` +
          `list "${service.name}" in railway.offRailway to render it for a UDP-capable host instead`,
      );
    }
    const port = service.publicHttpPort;
    if (port !== undefined && environment.renders('kubernetes') && railwayHostname(environment, service.name) === environment.publicHostname(service.name)) {
      service.fail(
        'publicHostnames',
        `Kubernetes and Railway would both claim ${environment.publicHostname(service.name)}, and DNS can point at only one; ` +
          'give Railway its own hostnames with railway.domain or railway.publicHostnames',
      );
    }
  }
}

function checkOffRailway(environment: StackEnvironment, name: string): void {
  const service = servicesOf(environment).find((candidate) => candidate.name === name);
  if (service === undefined) return;
  for (const [variable, value] of Object.entries(environment.settings.railway?.offRailwayEnv[name] ?? {})) {
    const field = `railway.offRailwayEnv.${name}.${variable}`;
    if (service.env[variable] instanceof SecretRef) service.fail(field, 'literal value for a variable declared secret');
    const problem = whyLooksLikeCredential(variable, value);
    if (problem !== undefined) service.fail(field, `${problem}; never put secrets in the stack description`);
  }
  if (service.data.build !== undefined) service.fail('build', 'services built from this repository cannot run off Railway yet; give an image');
  for (const dependency of dependenciesOf(service)) {
    if (isManagedDatabase(dependency) && !isOffRailway(environment, dependency.name)) {
      service.fail('env', `runs off Railway but uses Railway database "${dependency.name}", which has no public endpoint here`);
    }
  }
}
