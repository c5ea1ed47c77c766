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
import { isOffRailway, railwayHostname } from '../railway-placement.ts';

/** Service names Railway's variable syntax reserves: `${{shared.X}}` names a shared variable. */
const RESERVED_NAMES = new Set(['shared']);

/**
 * What Railway cannot run that is not one service field (those are in RAILWAY_FIELDS), checked
 * before anything is rendered: names Railway reserves, no way to reach a service placed off
 * Railway from Railway's private network, and one hostname claimed by two targets.
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
    for (const [name, value] of Object.entries(service.env)) {
      for (const ref of referencesIn(value)) {
        if (ref instanceof ServiceEndpointRef && isOffRailway(environment, ref.service.name)) {
          service.fail(`env.${name}`, `refers to "${ref.service.name}", which runs off Railway and is not reachable from Railway's private network`);
        }
      }
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
