import {
  DatabaseOutputRef,
  Interpolation,
  isManagedDatabase,
  PublicUrlRef,
  referencesIn,
  SecretRef,
  ServiceEndpointRef,
  servicesOf,
  startOrder,
  UniqueList,
  type EnvValue,
  type StackEnvironment,
  type StackService,
} from '../../constructs/index.ts';
import { isRepositoryFile } from '../build-context.ts';
import { databaseVariable } from '../database-variables.ts';
import { fieldWarnings } from '../target-fields.ts';
import { isOffRailway, railwayHostname } from './placement.ts';
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
  const resources: RailwayResourcePlan[] = services
    .filter((service) => !isOffRailway(environment, service.name))
    .map((service) => (isManagedDatabase(service) ? { kind: service.engine, name: service.name } : planService(service, offRailway, warnings)));
  return { environment: environment.name, project: railway.project, resources, offRailway, warnings };
}

function planService(service: StackService, offRailway: StackService[], warnings: string[]): RailwayServicePlan {
  const data = service.data;
  const probePort = railwayProbePort(service);
  const env: Record<string, RailwayValue> = Object.fromEntries(
    Object.entries(service.env).map(([name, value]) => [name, railwayValue(value, service)]),
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
  const tcp = proxiedPorts(service, offRailway);
  for (const port of tcp) {
    warnings.push(
      `railway: port ${port} of "${service.name}" gets a public TCP proxy so ${offRailway.map((remote) => `"${remote.name}"`).join(', ')} can reach it from off Railway; ` +
        'it is reachable from the internet, protected only by its own authentication',
    );
  }
  const publicHttp = service.publicHttpPort;
  // RAILWAY_FIELDS has refused a command that has no start command.
  const start = data.command !== undefined ? railwayStartCommand(data.command) : undefined;
  return {
    kind: 'service',
    name: service.name,
    ...sourceOf(service),
    ...(start !== undefined ? { start } : {}),
    ...healthGate(service, probePort),
    replicas: data.replicas,
    limits: railwayLimits(service),
    ...(data.stopGracePeriodSeconds !== undefined ? { drainingSeconds: data.stopGracePeriodSeconds } : {}),
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
 * Railway gates a deploy on the health check path, probed on PORT. A service without an HTTP
 * check, or one that uses PORT for another server, gets no gate instead of a wrong one
 * (RAILWAY_FIELDS says so).
 */
function healthGate(service: StackService, probePort: number | undefined): Pick<RailwayServicePlan, 'healthcheck' | 'healthcheckTimeout'> {
  const check = service.data.healthCheck;
  if (check?.http === undefined || check.http.port !== probePort) return {};
  return {
    healthcheck: check.http.path,
    healthcheckTimeout: check.startPeriodSeconds + check.intervalSeconds * check.retries,
  };
}

/** Ports of `service` that services off Railway connect to: each needs a TCP proxy. */
function proxiedPorts(service: StackService, offRailway: StackService[]): number[] {
  const ports = new Set<number>();
  for (const remote of offRailway) {
    for (const value of Object.values(remote.env)) {
      for (const ref of referencesIn(value)) {
        if (ref instanceof ServiceEndpointRef && ref.service === service) ports.add(ref.port);
      }
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/** Resolves a value for a service on Railway. */
function railwayValue(value: EnvValue, service: StackService): RailwayValue {
  if (value instanceof SecretRef) return { type: 'shared', name: value.name };
  if (value instanceof DatabaseOutputRef) {
    return { type: 'reference', resource: value.database.name, output: railwayDatabaseVariable(value) };
  }
  return { type: 'literal', value: railwayText(value, service) };
}

function railwayDatabaseVariable(ref: DatabaseOutputRef): string {
  const variable = databaseVariable(ref.database.engine, ref.output);
  if (variable === undefined) throw new Error(`Railway ${ref.database.engine} has no ${ref.output} variable`);
  return variable;
}

/** A value as text, with Railway `${{…}}` references for what Railway resolves at deploy time. */
function railwayText(value: EnvValue, service: StackService): string {
  if (typeof value === 'string') return value;
  if (value instanceof Interpolation) return value.parts.map((part) => railwayText(part, service)).join('');
  if (value instanceof UniqueList) return railwayText(value.distinct((item) => railwayText(item, service)), service);
  if (value instanceof SecretRef) return `\${{shared.${value.name}}}`;
  if (value instanceof DatabaseOutputRef) return `\${{${value.database.name}.${railwayDatabaseVariable(value)}}}`;
  const environment = service.environment;
  // A service refers to its own variables without a service name.
  const namespace = (target: StackService) => (target === service ? '' : `${target.name}.`);
  if (value instanceof PublicUrlRef) {
    return isOffRailway(environment, value.service.name)
      ? `https://${railwayHostname(environment, value.service.name)}`
      : `https://\${{${namespace(value.service)}RAILWAY_PUBLIC_DOMAIN}}`;
  }
  // The Railway rules already refused endpoints of services placed off Railway.
  const host = `\${{${namespace(value.service)}RAILWAY_PRIVATE_DOMAIN}}`;
  switch (value.form) {
    case 'host':
      return host;
    case 'port':
      return String(value.port);
    case 'url':
      return `${value.scheme}://${host}:${value.port}${value.path}`;
  }
}
