import {
  DatabaseOutputRef,
  endpointInstanceName,
  instancesOf,
  Interpolation,
  isManagedDatabase,
  PublicUrlRef,
  reachesInstance,
  referencesIn,
  ReplicaNameRef,
  SecretRef,
  ServiceEndpointRef,
  servicesOf,
  startOrder,
  UniqueList,
  type EnvValue,
  type ServiceInstance,
  type StackEnvironment,
  type StackService,
} from '../../constructs/index.ts';
import { isRepositoryFile } from '../build-context.ts';
import { buildVersionEnv } from '../build-version.ts';
import { databaseVariable } from '../database-variables.ts';
import { fieldWarnings } from '../target-fields.ts';
import { isOffRailway, railwayHostname } from '../railway-placement.ts';
import { RAILWAY_FIELDS, railwayLimits, railwayProbePort, railwayStartCommand } from './railway-fields.ts';
import { checkRailwayRules } from './railway-rules.ts';

/**
 * The Railway rendering of one environment as plain data. Two writers consume it: one calls the
 * real `railway/iac` SDK (for dist/railway/<env>.json), the other writes the same calls as
 * source code (.railway/railway.ts). Tests check that both agree.
 */
export interface RailwayEnvironmentPlan {
  readonly environment: string;
  readonly project: string;
  /** In declaration order: everything a resource refers to comes before it. */
  readonly resources: RailwayResourcePlan[];
  /** Services rendered for a separate host instead of Railway. */
  readonly offRailway: StackService[];
  readonly warnings: string[];
}

export type RailwayResourcePlan = RailwayDatabasePlan | RailwayServicePlan;

/** A Railway-managed database, created with `postgres()` or `redis()`. */
export interface RailwayDatabasePlan {
  readonly kind: 'postgres' | 'redis';
  readonly name: string;
}

/** A variable value: a literal (which may embed `${{…}}` references), a shared variable, or another resource's variable. */
export type RailwayValue =
  | { readonly type: 'literal'; readonly value: string }
  | { readonly type: 'shared'; readonly name: string }
  | { readonly type: 'reference'; readonly resource: string; readonly output: string };

export interface RailwayServicePlan {
  readonly kind: 'service';
  readonly name: string;
  readonly source:
    | { readonly type: 'image'; readonly image: string }
    | { readonly type: 'github'; readonly repo: string; readonly branch: string; readonly rootDirectory?: string };
  readonly build?: { readonly dockerfilePath: string; readonly watchPatterns: string[] };
  /** Replaces the image's entrypoint, as the model's command does. */
  readonly start?: string;
  readonly healthcheck?: string;
  readonly healthcheckTimeout?: number;
  readonly replicas: number;
  /** Per-replica ceilings: vCPUs and bytes (`deploy.limitOverride.containers`). */
  readonly limits: { readonly cpu: number; readonly memoryBytes: number };
  /** Seconds between SIGTERM and SIGKILL when a deployment is removed (`deploy.drainingSeconds`). */
  readonly drainingSeconds?: number;
  readonly env: Record<string, RailwayValue>;
  readonly volume?: { readonly name: string; readonly mountPath: string; readonly sizeMB: number };
  readonly domains: Array<{ readonly domain: string; readonly port: number }>;
  /** Ports that get a TCP proxy, because a service off Railway connects to them. */
  readonly tcp: number[];
}

/** Plans the Railway rendering of one environment, after checking what Railway can run. */
export function planRailwayEnvironment(environment: StackEnvironment): RailwayEnvironmentPlan {
  const railway = environment.settings.railway;
  if (railway === undefined) throw new Error(`environment "${environment.name}" has no railway settings`);
  checkRailwayRules(environment);
  const services = startOrder(servicesOf(environment));
  const offRailway = services.filter((service) => isOffRailway(environment, service.name));
  // Railway's managed databases are Railway's own templates: none of our service fields apply to them.
  const onRailway = services.filter((service) => !isOffRailway(environment, service.name) && !isManagedDatabase(service));
  const warnings = fieldWarnings('railway', RAILWAY_FIELDS, onRailway);
  // Railway has no per-replica names: each replica addressed on its own is a service of its own.
  const resources: RailwayResourcePlan[] = services
    .filter((service) => !isOffRailway(environment, service.name))
    .flatMap((service): RailwayResourcePlan[] =>
      isManagedDatabase(service) ? [{ kind: service.engine, name: service.name }] : instancesOf(service).map((instance) => planService(instance, offRailway, warnings)),
    );
  return { environment: environment.name, project: railway.project, resources, offRailway, warnings };
}

function planService(instance: ServiceInstance, offRailway: StackService[], warnings: string[]): RailwayServicePlan {
  const { service } = instance;
  const data = service.data;
  const probePort = railwayProbePort(service);
  const env: Record<string, RailwayValue> = Object.fromEntries(
    Object.entries({ ...service.env, ...buildVersionEnv(service) }).map(([name, value]) => [name, railwayValue(value, instance)]),
  );
  // Railway routes health checks (and unported domains) to PORT; services that do not set it
  // get their health port there.
  if (service.env['PORT'] === undefined && probePort !== undefined) env['PORT'] = { type: 'literal', value: String(probePort) };
  const volume = service.persistentVolumes[0];
  if (volume !== undefined) {
    warnings.push(
      `railway: Railway mounts the volume of "${service.name}" at ${volume.mountPath} owned by root; an image that runs as another user ` +
        'needs RAILWAY_RUN_UID=0 to write there',
    );
  }
  const tcp = proxiedPorts(instance, offRailway);
  for (const port of tcp) {
    warnings.push(
      `railway: port ${port} of "${instance.name}" gets a public TCP proxy so ${offRailway.map((remote) => `"${remote.name}"`).join(', ')} can reach it from off Railway; ` +
        'it is reachable from the internet, protected only by its own authentication',
    );
  }
  const publicHttp = service.publicHttpPort;
  // RAILWAY_FIELDS has refused a command that has no start command.
  const start = data.command !== undefined ? railwayStartCommand(data.command) : undefined;
  return {
    kind: 'service',
    name: instance.name,
    ...sourceOf(service),
    ...(start !== undefined ? { start } : {}),
    ...healthGate(service, probePort),
    replicas: instance.replicas,
    limits: railwayLimits(service),
    ...(service.stopGracePeriodSeconds !== undefined ? { drainingSeconds: service.stopGracePeriodSeconds } : {}),
    env,
    ...(volume !== undefined
      ? { volume: { name: `${service.name}-${volume.name}`, mountPath: volume.mountPath, sizeMB: volume.sizeGiB * 1024 } }
      : {}),
    domains: publicHttp !== undefined ? [{ domain: railwayHostname(service.environment, service.name), port: publicHttp.port }] : [],
    tcp,
  };
}

function sourceOf(service: StackService): Pick<RailwayServicePlan, 'source' | 'build'> {
  const build = service.data.build;
  if (build === undefined) return { source: { type: 'image', image: service.data.image ?? '' } };
  const repository = service.environment.settings.repository;
  if (repository === undefined) {
    service.fail('build', 'Railway builds from GitHub: give the environment a repository (github, imageRegistry)');
  }
  return {
    // A workspace build (context `.`) builds from the repository root, Railway's default.
    source: { type: 'github', repo: repository.github, branch: repository.branch, ...(build.context !== '.' ? { rootDirectory: build.context } : {}) },
    // Changes to other files never redeploy the service.
    build: {
      dockerfilePath: build.dockerfile,
      watchPatterns: build.paths.map((path) => (isRepositoryFile(path) ? `/${path}` : `/${path}/**`)),
    },
  };
}

/**
 * Railway gates a deploy on the health check path, probed on PORT: the readiness path where there
 * is one (the new deployment takes work once it answers). A service without an HTTP check, or one
 * that uses PORT for another server, gets no gate instead of a wrong one (RAILWAY_FIELDS says so).
 */
function healthGate(service: StackService, probePort: number | undefined): Pick<RailwayServicePlan, 'healthcheck' | 'healthcheckTimeout'> {
  const check = service.data.healthCheck;
  if (check?.http === undefined || check.http.port !== probePort) return {};
  return {
    healthcheck: check.http.readinessPath ?? check.http.path,
    healthcheckTimeout: check.startPeriodSeconds + check.intervalSeconds * check.retries,
  };
}

/** Ports of `instance` that services off Railway connect to: each needs a TCP proxy. */
function proxiedPorts(instance: ServiceInstance, offRailway: StackService[]): number[] {
  const ports = new Set<number>();
  for (const remote of offRailway) {
    for (const value of Object.values(remote.env)) {
      for (const ref of referencesIn(value)) {
        if (ref instanceof ServiceEndpointRef && reachesInstance(ref, instance)) ports.add(ref.port);
      }
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/** Resolves a value for a Railway service (one replica, for a service addressed per replica). */
function railwayValue(value: EnvValue, self: ServiceInstance): RailwayValue {
  if (value instanceof SecretRef) return { type: 'shared', name: value.name };
  if (value instanceof DatabaseOutputRef) {
    return { type: 'reference', resource: value.database.name, output: railwayDatabaseVariable(value) };
  }
  return { type: 'literal', value: railwayText(value, self) };
}

function railwayDatabaseVariable(ref: DatabaseOutputRef): string {
  const variable = databaseVariable(ref.database.engine, ref.output);
  if (variable === undefined) throw new Error(`Railway ${ref.database.engine} has no ${ref.output} variable`);
  return variable;
}

/** A value as text, with Railway `${{…}}` references for what Railway resolves at deploy time. */
function railwayText(value: EnvValue, self: ServiceInstance): string {
  const text = (part: EnvValue) => railwayText(part, self);
  if (typeof value === 'string') return value;
  if (value instanceof Interpolation) return value.parts.map(text).join('');
  if (value instanceof UniqueList) return text(value.distinct(text));
  if (value instanceof SecretRef) return `\${{shared.${value.name}}}`;
  if (value instanceof DatabaseOutputRef) return `\${{${value.database.name}.${railwayDatabaseVariable(value)}}}`;
  if (value instanceof ReplicaNameRef) return self.name;
  const environment = self.service.environment;
  // A service refers to its own variables without a service name.
  const namespace = (name: string) => (name === self.name ? '' : `${name}.`);
  if (value instanceof PublicUrlRef) {
    return isOffRailway(environment, value.service.name)
      ? `https://${railwayHostname(environment, value.service.name)}`
      : `https://\${{${namespace(value.service.name)}RAILWAY_PUBLIC_DOMAIN}}`;
  }
  // The Railway rules already refused endpoints of services placed off Railway. One replica
  // addressed on its own is a Railway service of its own, with a private domain of its own.
  return value.text(`\${{${namespace(endpointInstanceName(value))}RAILWAY_PRIVATE_DOMAIN}}`);
}
