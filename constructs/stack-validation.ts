import { existsSync, realpathSync } from 'node:fs';
import { join, posix } from 'node:path';
import { whyLooksLikeCredential } from './credentials.ts';
import { dependenciesOf, findCycle, findService, isManagedDatabase, servicesOf } from './dependency-graph.ts';
import { DatabaseOutputRef, dependencyOf, PublicUrlRef, referencesIn, ReplicaNameRef, SecretRef, ServiceEndpointRef, type EndpointForm } from './references.ts';
import { REPO_ROOT } from './repo-root.ts';
import { instancesOf } from './service-instances.ts';
import { SpecError } from './spec-error.ts';
import type { StackEnvironment } from './stack-environment.ts';
import { StackService } from './stack-service.ts';
import { describeValue } from './zod-issues.ts';

const ENDPOINT_FORMS: readonly EndpointForm[] = ['url', 'host', 'port'];


/**
 * Checks that need the whole environment: names, dependencies, ports, images. Throws the first
 * problem as a SpecError naming environment, service and field. What a particular target cannot
 * express is checked by that target's renderer, still before anything is written; what one
 * construct requires of its own services (one Jitsi version, a singleton's replicas) that
 * construct checks itself.
 */
export function validateEnvironment(environment: StackEnvironment): void {
  const services = servicesOf(environment);
  checkUniqueNames(environment, services);
  checkNamedServicesExist(environment, services);
  checkEnvironmentLiterals(environment, services);
  for (const service of services) {
    checkDependencies(service);
    checkReferences(service);
    checkBuildContext(service);
    service.checkComplete();
  }
  checkNoCycle(environment, services);
  for (const service of services) checkDependenciesRun(service);
  checkHostPorts(environment, services);
  checkPublicHostnames(environment, services);
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
  // Compose and Railway run each replica of a service addressed per replica as a service of its own.
  for (const service of services) {
    for (const instance of instancesOf(service)) {
      const owner = seen.get(instance.name);
      if (owner !== undefined && owner !== service) {
        service.fail(
          'replicas',
          `replica ${instance.replica} is named "${instance.name}" on Compose and Railway, which is already the name of service "${owner.name}" ("${owner.node.path}"); rename one of them`,
        );
      }
      seen.set(instance.name, service);
    }
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
    const field = `env.${name}`;
    if (referencesIn(value).some((ref) => ref instanceof ReplicaNameRef)) checkReplicaName(service, field, value instanceof ReplicaNameRef);
    for (const ref of referencesIn(value)) {
      if (ref instanceof ServiceEndpointRef) checkEndpoint(service, field, ref);
      if (ref instanceof PublicUrlRef) checkPublicUrl(service, field, ref);
      if (ref instanceof DatabaseOutputRef) checkDatabaseOutput(service, field, ref);
    }
  }
}

function checkDatabaseOutput(service: StackService, field: string, ref: DatabaseOutputRef): void {
  const database = ref.database;
  if (!isManagedDatabase(database)) service.fail(field, `refers to an output of ${describeValue(database)}, which is not a database (Postgres, Redis)`);
  if (findService(service.environment, database.name) !== database) {
    service.fail(field, `refers to database "${database.name}", which is not part of this environment`);
  }
  if (database.selfHostedOutput(ref.output) === undefined) {
    service.fail(field, `${database.engine} has no "${ref.output}" output`);
  }
}

function checkEndpoint(service: StackService, field: string, ref: ServiceEndpointRef): void {
  if (!StackService.isStackService(ref.service)) service.fail(field, `refers to an endpoint of ${describeValue(ref.service)}, which is not a service`);
  if (!ENDPOINT_FORMS.includes(ref.form)) service.fail(field, `refers to the ${describeValue(ref.form)} of "${ref.service.name}"; an endpoint is a url, host or port`);
  if (typeof ref.port !== 'number' || !Number.isInteger(ref.port)) {
    service.fail(field, `refers to port ${describeValue(ref.port)} of "${ref.service.name}"; a port is an integer`);
  }
  if (ref.form === 'url' && (typeof ref.scheme !== 'string' || !/^[a-z][a-z0-9+.-]*$/.test(ref.scheme))) {
    service.fail(field, `the URL of "${ref.service.name}" has scheme ${describeValue(ref.scheme)}; a scheme is lowercase letters, digits, + . and -, e.g. http or ws`);
  }
  if (ref.form === 'url' && (typeof ref.path !== 'string' || !/^(\/[^\s\x00-\x1f\x7f]*)?$/.test(ref.path))) {
    service.fail(field, `the URL of "${ref.service.name}" has path ${describeValue(ref.path)}; a path starts with / and has no spaces or control characters`);
  }
  if (findService(service.environment, ref.service.name) !== ref.service) {
    service.fail(field, `refers to service "${ref.service.name}", which is not part of this environment`);
  }
  checkReplicaEndpoint(service, field, ref, ref.service);
  const range = ref.service.findPortRange(ref.port);
  if (range !== undefined) {
    if (!ref.service.portRangesFor(service).includes(range)) {
      service.fail(field, `refers to port ${ref.port} in the "${range.name}" range of "${ref.service.name}", which does not admit this service (admitToPortRange)`);
    }
  } else if (ref.service.findPort(ref.port) === undefined) {
    service.fail(field, `refers to port ${ref.port} of "${ref.service.name}", which does not declare it`);
  } else if (ref.form === 'url' && !ref.service.data.ports.some((port) => port.port === ref.port && port.protocol === 'tcp')) {
    service.fail(field, `refers to the URL of port ${ref.port} of "${ref.service.name}", which is UDP only; a URL needs a TCP port (use host() and portNumber() for UDP)`);
  }
}

/**
 * A service addressed per replica has no name for all its replicas on Compose and Railway, so an
 * endpoint of it names one replica, of those it runs; and only such a service has replicas to name.
 * `target` is the service `ref` points at, known by now to be one.
 */
function checkReplicaEndpoint(service: StackService, field: string, ref: ServiceEndpointRef, target: StackService): void {
  const perReplica = target.data.addressing === 'replica';
  if (ref.replica === undefined) {
    if (perReplica) {
      service.fail(
        field,
        `refers to port ${ref.port} of "${target.name}", whose replicas are addressed one by one (addressing: 'replica'); name the replica with replicaUrl(i, ${ref.port}), or list them all with replicaUrls(${ref.port})`,
      );
    }
    return;
  }
  if (!perReplica) {
    service.fail(field, `refers to replica ${describeValue(ref.replica)} of "${target.name}", whose replicas are reached as one service; use url(), or give "${target.name}" addressing: 'replica'`);
  }
  if (!Number.isInteger(ref.replica) || ref.replica < 0 || ref.replica >= target.data.replicas) {
    service.fail(field, `refers to replica ${describeValue(ref.replica)} of "${target.name}", which runs replicas 0 to ${target.data.replicas - 1}`);
  }
}

/**
 * A replica's own name exists only for a service addressed per replica, and Kubernetes gives it
 * from the pod (the downward API), which fills a whole variable, not part of one.
 */
function checkReplicaName(service: StackService, field: string, whole: boolean): void {
  if (service.data.addressing !== 'replica') {
    service.fail(field, `a replica's own name needs a service whose replicas are addressed one by one; give "${service.name}" addressing: 'replica'`);
  }
  if (!whole) service.fail(field, "a replica's own name must be the whole value (Kubernetes sets it from the pod's name), not part of an interpolation or a list");
}

/** A public URL is the address browsers use for a service's public HTTP port, so the service needs one. */
function checkPublicUrl(service: StackService, field: string, ref: PublicUrlRef): void {
  if (!StackService.isStackService(ref.service)) service.fail(field, `refers to the public URL of ${describeValue(ref.service)}, which is not a service`);
  if (findService(service.environment, ref.service.name) !== ref.service) {
    service.fail(field, `refers to the public URL of service "${ref.service.name}", which is not part of this environment`);
  }
  if (ref.service.publicHttpPort === undefined) {
    service.fail(field, `refers to the public URL of "${ref.service.name}", which has no public TCP port; give it a port with exposure: 'public'`);
  }
}

/**
 * A built service's context, Dockerfile and paths must exist inside the repository (a symlink out
 * of it included): the image tag is a hash of them, and Railway builds from the repository alone.
 * The Dockerfile must be one of the paths, or changing it would rebuild nothing.
 */
function checkBuildContext(service: StackService): void {
  const build = service.data.build;
  if (build === undefined) return;
  const root = realpathSync(REPO_ROOT);
  const inside = (path: string) => {
    const real = realpathSync(join(REPO_ROOT, path));
    return real === root || real.startsWith(`${root}/`);
  };
  if (!existsSync(join(REPO_ROOT, build.context))) {
    service.fail('build.context', `build context "${build.context}" does not exist in the repository`);
  }
  if (!inside(build.context)) service.fail('build.context', `build context "${build.context}" is a link to a place outside the repository`);
  const dockerfile = posix.join(build.context, build.dockerfile);
  if (!existsSync(join(REPO_ROOT, dockerfile))) {
    service.fail('build.dockerfile', `"${build.context}/${build.dockerfile}" does not exist`);
  }
  if (!inside(dockerfile)) service.fail('build.dockerfile', `"${dockerfile}" is a link to a place outside the repository`);
  build.paths.forEach((path, index) => {
    if (!existsSync(join(REPO_ROOT, path))) service.fail(`build.paths[${index}]`, `"${path}" does not exist in the repository`);
    if (!inside(path)) service.fail(`build.paths[${index}]`, `"${path}" is a link to a place outside the repository`);
  });
  const covers = (path: string, file: string) => path === '.' || file === path || file.startsWith(`${path}/`);
  if (!build.paths.some((path) => covers(posix.normalize(path), dockerfile))) {
    service.fail('build.paths', `the Dockerfile "${dockerfile}" is not one of the build's paths (${build.paths.join(', ')}), so changing it would rebuild nothing; add it`);
  }
  const workspace = build.npmWorkspace?.path;
  if (workspace !== undefined && !existsSync(join(REPO_ROOT, workspace, 'package.json'))) {
    service.fail('build.npmWorkspace.path', `"${workspace}" is not an npm workspace of the repository (it has no package.json)`);
  }
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

/**
 * A hostname given for a service is served by its public TCP port, so the service needs one; and
 * one hostname can lead to one service only.
 */
function checkPublicHostnames(environment: StackEnvironment, services: StackService[]): void {
  const given: Array<[string, Record<string, string>]> = [
    ['publicHostnames', environment.settings.publicHostnames],
    ['railway.publicHostnames', environment.settings.railway?.publicHostnames ?? {}],
  ];
  for (const [field, hostnames] of given) {
    for (const name of Object.keys(hostnames)) {
      const service = services.find((candidate) => candidate.name === name);
      if (service !== undefined && service.publicHttpPort === undefined) {
        throw new SpecError(
          { environment: environment.name, service: name, field: `${field}.${name}` },
          `"${name}" has no public TCP port, so no hostname would lead to it; give it a port with exposure: 'public', or remove the entry`,
        );
      }
    }
  }
  const owners = new Map<string, string>();
  for (const service of services) {
    if (service.publicHttpPort === undefined) continue;
    const hostname = environment.publicHostname(service.name);
    const owner = owners.get(hostname);
    if (owner !== undefined) {
      throw new SpecError(
        { environment: environment.name, service: service.name, field: 'publicHostnames' },
        `${hostname} would be the public hostname of both "${owner}" and "${service.name}", and it can lead to only one; give one of them another in publicHostnames`,
      );
    }
    owners.set(hostname, service.name);
  }
}

/**
 * A service waits for what it depends on (Compose's service_healthy, start order on every
 * target), so a dependency scaled to zero means the service never starts or never connects.
 */
function checkDependenciesRun(service: StackService): void {
  if (service.data.replicas === 0) return;
  for (const dependency of dependenciesOf(service)) {
    if (dependency.data.replicas !== 0) continue;
    service.fail(
      dependencyField(service, dependency),
      `depends on "${dependency.name}", which runs 0 replicas, so it would wait for a service that never starts; ` +
        `give "${dependency.name}" replicas, or scale "${service.name}" to 0 too`,
    );
  }
}

/** Where a dependency is declared: its `dependsOn` entry, or the first variable that refers to it. */
function dependencyField(service: StackService, dependency: StackService): string {
  const index = service.explicitDependencies.findIndex((entry) => (typeof entry === 'string' ? entry === dependency.name : entry === dependency));
  if (index !== -1) return `dependsOn[${index}]`;
  for (const [name, value] of Object.entries(service.env)) {
    if (referencesIn(value).some((ref) => dependencyOf(ref) === dependency)) return `env.${name}`;
  }
  return 'dependsOn';
}

/**
 * Literal text the environment settings add outside any service's own env: variables a host off
 * Railway overrides, and Kubernetes annotations. The same rules hold there as in a service's env.
 */
function checkEnvironmentLiterals(environment: StackEnvironment, services: StackService[]): void {
  const railway = environment.settings.railway;
  for (const [name, variables] of Object.entries(railway?.offRailwayEnv ?? {})) {
    const service = services.find((candidate) => candidate.name === name);
    if (service === undefined) continue;
    if (!railway?.offRailway.includes(name)) {
      throw new SpecError(
        { environment: environment.name, service: name, field: `railway.offRailwayEnv.${name}` },
        `"${name}" does not run off Railway, so these variables would never be used; list it in railway.offRailway or remove them`,
      );
    }
    for (const [variable, value] of Object.entries(variables)) {
      const field = `railway.offRailwayEnv.${name}.${variable}`;
      const declared = Object.hasOwn(service.env, variable) ? service.env[variable] : undefined;
      const secrets = declared === undefined ? [] : referencesIn(declared).filter((ref) => ref instanceof SecretRef);
      if (secrets.length > 0) {
        service.fail(field, `literal value for a variable ${declared instanceof SecretRef ? 'declared secret' : 'built from secrets'} (${[...new Set(secrets.map((ref) => ref.name))].join(', ')}); a host off Railway reads secrets from Doppler too`);
      }
      if (value.includes('\0')) service.fail(field, 'the value contains a NUL byte, which no environment variable can carry');
      const problem = whyLooksLikeCredential(variable, value);
      if (problem !== undefined) service.fail(field, `${problem}; never put secrets in the stack description`);
    }
  }
  const kubernetes = environment.settings.kubernetes;
  for (const [field, annotations] of [['kubernetes.ingressAnnotations', kubernetes.ingressAnnotations], ['kubernetes.loadBalancerAnnotations', kubernetes.loadBalancerAnnotations]] as const) {
    for (const [key, value] of Object.entries(annotations)) {
      const problem = whyLooksLikeCredential(undefined, value);
      if (problem !== undefined) {
        throw new SpecError({ environment: environment.name, field: `${field}.${key}` }, `${problem}; never put secrets in the stack description (annotations are committed in dist/)`);
      }
    }
  }
}
