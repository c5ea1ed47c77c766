import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dependenciesOf, findCycle, findService, isManagedDatabase, servicesOf } from './dependency-graph.ts';
import { parseImage } from './image.ts';
import { DatabaseOutputRef, referencesIn, ServiceEndpointRef } from './references.ts';
import { REPO_ROOT } from './repo-root.ts';
import { SpecError } from './spec-error.ts';
import type { StackEnvironment } from './stack-environment.ts';
import type { StackService } from './stack-service.ts';

/** Jitsi's image repository; web, prosody, jicofo and jvb live under it. */
const JITSI_REGISTRY = 'ghcr.io/jitsi/';

/**
 * Checks that need the whole environment: names, dependencies, ports, versions. Throws the first
 * problem as a SpecError naming environment, service and field. What a particular target cannot
 * express is checked by that target's renderer, still before anything is written.
 */
export function validateEnvironment(environment: StackEnvironment): void {
  const services = servicesOf(environment);
  checkUniqueNames(environment, services);
  checkNamedServicesExist(environment, services);
  for (const service of services) {
    checkDependencies(service);
    checkReferences(service);
    checkBuildContext(service);
    service.checkComplete();
  }
  checkNoCycle(environment, services);
  checkHostPorts(environment, services);
  checkJitsiVersions(environment, services);
  for (const service of services) {
    if (service.publicPorts.length > 0 && service.data.healthCheck === undefined) {
      service.fail('healthCheck', 'a public service needs a health check, so traffic only reaches it when it is ready');
    }
  }
}

function checkUniqueNames(environment: StackEnvironment, services: StackService[]): void {
  const seen = new Map<string, StackService>();
  for (const service of services) {
    const first = seen.get(service.name);
    if (first !== undefined) {
      throw new SpecError(
        { environment: environment.name, service: service.name, field: 'name' },
        `duplicate service name: declared at "${first.node.path}" and again at "${service.node.path}"`,
      );
    }
    seen.set(service.name, service);
  }
}

function checkNamedServicesExist(environment: StackEnvironment, services: StackService[]): void {
  const known = new Set(services.map((service) => service.name));
  const listKnown = () => [...known].sort().join(', ');
  const named: Array<[string, string[]]> = [
    ['overrides', Object.keys(environment.settings.overrides)],
    ['publicHostnames', Object.keys(environment.settings.publicHostnames)],
    ['railway.offRailway', environment.settings.railway?.offRailway ?? []],
    ['railway.offRailwayEnv', Object.keys(environment.settings.railway?.offRailwayEnv ?? {})],
    ['railway.publicHostnames', Object.keys(environment.settings.railway?.publicHostnames ?? {})],
  ];
  for (const [field, names] of named) {
    for (const name of names) {
      if (!known.has(name)) {
        throw new SpecError(
          { environment: environment.name, field: `${field}.${name}` },
          `names unknown service "${name}"; services are ${listKnown()}`,
        );
      }
    }
  }
}

function checkDependencies(service: StackService): void {
  service.explicitDependencies.forEach((dependency, index) => {
    const name = typeof dependency === 'string' ? dependency : dependency.name;
    const resolved = findService(service.environment, name);
    if (resolved === undefined || (typeof dependency !== 'string' && resolved !== dependency)) {
      service.fail(`dependsOn[${index}]`, `depends on unknown service "${name}" (not declared in this environment)`);
    }
    if (resolved === service) service.fail(`dependsOn[${index}]`, 'a service cannot depend on itself');
  });
}

function checkReferences(service: StackService): void {
  for (const [name, value] of Object.entries(service.env)) {
    for (const ref of referencesIn(value)) {
      if (ref instanceof ServiceEndpointRef) {
        if (findService(service.environment, ref.service.name) !== ref.service) {
          service.fail(`env.${name}`, `refers to service "${ref.service.name}", which is not part of this environment`);
        }
        const range = ref.service.findPortRange(ref.port);
        if (range !== undefined) {
          if (!ref.service.portRangesFor(service).includes(range)) {
            service.fail(`env.${name}`, `refers to port ${ref.port} in the "${range.name}" range of "${ref.service.name}", which does not admit this service (admitToPortRange)`);
          }
        } else if (ref.service.findPort(ref.port) === undefined) {
          service.fail(`env.${name}`, `refers to port ${ref.port} of "${ref.service.name}", which does not declare it`);
        }
      }
      if (ref instanceof DatabaseOutputRef) {
        if (findService(service.environment, ref.database.name) !== ref.database) {
          service.fail(`env.${name}`, `refers to database "${ref.database.name}", which is not part of this environment`);
        }
        if (ref.database.selfHostedOutput(ref.output) === undefined) {
          service.fail(`env.${name}`, `${ref.database.engine} has no "${ref.output}" output`);
        }
      }
    }
  }
}

/** A built service's context and Dockerfile must exist: the image tag is a hash of the context. */
function checkBuildContext(service: StackService): void {
  const build = service.data.build;
  if (build === undefined) return;
  if (!existsSync(join(REPO_ROOT, build.context))) {
    service.fail('build.context', `build context "${build.context}" does not exist in the repository`);
  }
  if (!existsSync(join(REPO_ROOT, build.context, build.dockerfile))) {
    service.fail('build.dockerfile', `"${build.context}/${build.dockerfile}" does not exist`);
  }
  build.paths.forEach((path, index) => {
    if (!existsSync(join(REPO_ROOT, path))) service.fail(`build.paths[${index}]`, `"${path}" does not exist in the repository`);
  });
}

function checkNoCycle(environment: StackEnvironment, services: StackService[]): void {
  const cycle = findCycle(services);
  if (cycle !== undefined) {
    throw new SpecError(
      { environment: environment.name, service: cycle[0], field: 'dependsOn' },
      `dependency cycle: ${cycle.join(' → ')}; no service in a cycle could ever start first`,
    );
  }
}

function checkHostPorts(environment: StackEnvironment, services: StackService[]): void {
  const published = new Map<string, string>();
  for (const service of services) {
    service.publicPorts.forEach((port) => {
      const key = `${port.hostPort ?? port.port}/${port.protocol}`;
      const owner = published.get(key);
      if (owner !== undefined) {
        service.fail(
          `ports[${service.data.ports.indexOf(port)}]`,
          `host port ${key} is already published by service "${owner}"; give one of them another hostPort`,
        );
      }
      published.set(key, service.name);
    });
  }
}

function checkJitsiVersions(environment: StackEnvironment, services: StackService[]): void {
  let first: { service: StackService; tag: string } | undefined;
  for (const service of services) {
    const image = service.data.image === undefined ? undefined : parseImage(service.data.image);
    if (image === undefined) continue;
    if (/^(docker\.io\/)?jitsi\//.test(image.repository)) {
      service.fail('image', `Jitsi images moved to ${JITSI_REGISTRY}* in stable-11146; use ${JITSI_REGISTRY}${image.repository.split('/').pop()}`);
    }
    if (!image.repository.startsWith(JITSI_REGISTRY)) continue;
    const tag = image.tag ?? image.digest ?? '';
    if (first === undefined) first = { service, tag };
    else if (first.tag !== tag) {
      service.fail(
        'image',
        `Jitsi components must run one version: "${service.name}" uses ${tag} but "${first.service.name}" uses ${first.tag}`,
      );
    }
  }
}
