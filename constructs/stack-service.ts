import { Construct } from 'constructs';
import { environmentForNewChild, SERVICE_ID } from './construct-scope.ts';
import { whyLooksLikeCredential } from './credentials.ts';
import { whyNotPinned } from './image.ts';
import {
  isReference,
  literalsIn,
  PublicUrlRef,
  referencesIn,
  SecretRef,
  ServiceEndpointRef,
  whyMalformed,
  type EnvValue,
  type ReferencedService,
} from './references.ts';
import { isPlainObject } from './props-check.ts';
import {
  serviceDataSchema,
  type BuildProps,
  type DrainProps,
  type ExternalServiceProps,
  type HealthCheckProps,
  type MetricsProps,
  type PortProps,
  type PortRangeProps,
  type ResourcesProps,
  type RunAsProps,
  type ServiceData,
  type ServicePort,
  type ServicePortRange,
  type VolumeProps,
} from './service-props.ts';
import { quoted, SpecError } from './spec-error.ts';
import { ENV_NAME_PATTERN, StackEnvironment } from './stack-environment.ts';
import { describeValue, formatZodIssue, zodIssuePath } from './zod-issues.ts';

/** Properties of a `StackService`. */
export interface StackServiceProps {
  /** One line on what the service does, shown in the stack diagram. @default - none */
  readonly description?: string;
  /**
   * A pinned image, `repository:tag` or `repository@sha256:…`. Floating tags (`latest`,
   * `stable`, `unstable`, a bare major) are rejected. Give exactly one of `image` or `build`.
   * @default - none; `build` must be given
   */
  readonly image?: string;
  /** Build the image from a context in this repository. @default - none; `image` must be given */
  readonly build?: BuildProps;
  /** Ports the container listens on. @default - no ports */
  readonly ports?: PortProps[];
  /** Private TCP port ranges opened per session; see `StackService.admitToPortRange`. @default - none */
  readonly portRanges?: PortRangeProps[];
  /** How to tell the service is healthy. Required for services with a public port. @default - none */
  readonly healthCheck?: HealthCheckProps;
  /** Environment variables: literals or references (secrets, endpoints, database outputs). @default - none */
  readonly env?: Record<string, EnvValue>;
  /**
   * Services that must be running first, beyond those implied by references in `env`. A name
   * refers to a service declared elsewhere in the environment. @default - only implied ones
   */
  readonly dependsOn?: Array<StackService | string>;
  /** @default 1 */
  readonly replicas?: number;
  /** @default - 250 millicores, 256 MiB */
  readonly resources?: ResourcesProps;
  /** @default - no volumes */
  readonly volumes?: VolumeProps[];
  /** User and group the container runs as where the target enforces it. @default - uid 10001, gid 10001 */
  readonly runAs?: RunAsProps;
  /** Mount the image read-only; give scratch volumes for directories it writes. @default true */
  readonly readOnlyRootFilesystem?: boolean;
  /** Only platform the image is published for. @default - any */
  readonly platform?: 'linux/amd64' | 'linux/arm64';
  /** Replaces the image's entrypoint and command (Kubernetes `command`, Compose `entrypoint`). @default - the image's own */
  readonly command?: string[];
  /** The service calls hosts outside the stack (vendor APIs, STUN). @default false */
  readonly egressToInternet?: boolean;
  /**
   * The service also sends UDP to public addresses (WebRTC media to a media server's advertised
   * address): what it sends, and what it falls back to where UDP cannot leave. Needs
   * `egressToInternet`. A target that cannot promise outbound UDP says so with this text.
   * @default - no UDP beyond DNS
   */
  readonly udpEgress?: string;
  /**
   * Services outside the stack it calls (a vendor's API, an identity provider), each with how it
   * reaches them: the review page draws them. Needs `egressToInternet`. @default - none
   */
  readonly externalServices?: ExternalServiceProps[];
  /**
   * How a new version replaces the old: `rolling` starts the new before stopping the old;
   * `recreate` stops the old first, for services whose state lives in one process (sessions in
   * memory, an XMPP server others stay connected to). @default 'rolling'
   */
  readonly rollout?: 'rolling' | 'recreate';
  /**
   * How clients reach the service: `service`, any replica behind one name; `replica`, each
   * replica on its own under a stable name `<service>-<i>` (its state lives in its memory, and
   * its clients choose the replica), through `replicaUrl()` and `replicaUrls()`. Kubernetes runs
   * such a service as a StatefulSet; Compose and Railway, which have no per-replica names, as one
   * service per replica. @default 'service'
   */
  readonly addressing?: 'service' | 'replica';
  /**
   * How the service stops: it drains work on SIGTERM (or in `preStop`) for up to `seconds`, and
   * the target gives it `seconds + marginSeconds` before a forced kill (Kubernetes
   * `terminationGracePeriodSeconds`, Compose `stop_grace_period`, Railway `drainingSeconds`).
   * @default - the target's own (30 s on Kubernetes, 10 s on Compose, Railway's default)
   */
  readonly drain?: DrainProps;
  /**
   * Ports the service's replicas call each other on (a replica forwards a request to the one that
   * holds its state, by the address that one advertises); Kubernetes lets its own pods through
   * the NetworkPolicy on them. Each must be one of its TCP ports. @default - none
   */
  readonly peerPorts?: number[];
  /**
   * Which part of the stack the service belongs to: `core` runs without any vendor account (the
   * console, the MCP server, Jitsi, the databases); `voice` needs the voice vendors' keys (the TEN
   * agent) or is useless without it (the Jitsi agent bridge). Compose starts `voice` services only
   * with its `voice` profile, so the core can run locally without those keys. @default 'core'
   */
  readonly tier?: 'core' | 'voice';
  /**
   * Why the service can only ever run one replica (one server owns the data volume, state lives in
   * one process); with it, more than one replica fails synth with this reason, whoever asks for
   * them (props or an environment's overrides). @default - any number of replicas
   */
  readonly singleton?: string;
  /**
   * Where Prometheus scrapes the service's metrics: one of its private TCP ports (metrics are
   * never served on a public port) and a path. Kubernetes renders a ServiceMonitor for it where
   * the environment turns monitoring on, Compose a scrape job in its `observability` profile.
   * @default - not scraped
   */
  readonly metrics?: MetricsProps;
}

/** Doppler stores secret names in upper snake case; other names cannot be synced or interpolated. */
const SECRET_NAME_PATTERN = /^[A-Z_][A-Z0-9_]*$/;

/**
 * One deployable service, described once and rendered by every target: image or build context,
 * ports, health check, environment, dependencies, replicas, resources and volumes.
 *
 * The construct id is the service name in every target (Kubernetes object names, Compose service
 * keys, Railway service names), so it is part of the external contract.
 */
export class StackService extends Construct implements ReferencedService {
  public static isStackService(value: unknown): value is StackService {
    return value instanceof StackService;
  }

  public readonly environment: StackEnvironment;
  /** Validated plain data, with this environment's overrides applied. */
  public readonly data: ServiceData;
  /** Environment variables set by the environment's overrides; they win over the service's own. */
  private readonly overriddenEnv: ReadonlySet<string>;
  private readonly envVars: Record<string, EnvValue>;
  /** Dependencies named explicitly; resolved and checked when the environment is validated. */
  private readonly dependencies: Array<StackService | string>;
  /** Why the service can only run one replica, if it can only run one. */
  private readonly singleton: string | undefined;
  /** Services allowed to connect to each port range, by range name. */
  private readonly rangeClients = new Map<string, StackService[]>();

  constructor(scope: Construct, id: string, props: StackServiceProps) {
    const environment = environmentForNewChild(scope, id, { kind: 'service', id: SERVICE_ID });
    super(scope, id);
    this.environment = environment;
    if (!isPlainObject(props)) this.fail(undefined, `the props of a service must be an object (image or build, ports, env, ...), got ${describeValue(props)}`);
    const env = this.checkEnvShape('env', props.env);
    const dependsOn = this.checkDependsOnShape(props.dependsOn);
    if (props.singleton !== undefined && (typeof props.singleton !== 'string' || props.singleton.trim() === '')) {
      this.fail('singleton', `must say why the service runs one replica only, got ${describeValue(props.singleton)}`);
    }
    this.singleton = props.singleton;

    // Overrides were checked against their schema when the environment was created.
    const overrides = this.environment.overridesFor(this.node.id);
    if (overrides?.image !== undefined && props.build !== undefined) {
      this.fail('image', `overrides.${id}.image would replace the image of a service built from this repository; a built service's image comes from its build context`);
    }
    this.data = this.parseData({ ...props, ...pickDefined(overrides, ['image', 'replicas', 'resources']) });
    this.checkData();
    this.overriddenEnv = new Set(Object.keys(overrides?.env ?? {}));
    this.envVars = this.mergeEnv(env, overrides?.env ?? {});
    this.dependencies = [...dependsOn, ...(overrides?.dependsOn ?? [])];
  }

  /** Dependencies named explicitly (and those added by `admitToPortRange`). */
  public get explicitDependencies(): ReadonlyArray<StackService | string> {
    return this.dependencies;
  }

  /**
   * Lets `client` connect to one of this service's port ranges. The client then depends on this
   * service; on Kubernetes only admitted clients get through the NetworkPolicy.
   */
  public admitToPortRange(rangeName: string, client: StackService): void {
    if (!(client instanceof StackService)) this.fail('portRanges', `only a service can be admitted to port range ${quoted(String(rangeName))}, got ${describeValue(client)}`);
    if (this.findPortRangeByName(rangeName) === undefined) {
      this.fail('portRanges', `has no port range named "${rangeName}" (ranges: ${this.data.portRanges.map((range) => range.name).join(', ') || 'none'})`);
    }
    const clients = this.rangeClients.get(rangeName) ?? [];
    if (!clients.includes(client)) clients.push(client);
    this.rangeClients.set(rangeName, clients);
    if (!client.dependencies.includes(this)) client.dependencies.push(this);
  }

  /** Services admitted to a port range, sorted by name. */
  public portRangeClients(rangeName: string): StackService[] {
    return [...(this.rangeClients.get(rangeName) ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The port ranges `client` was admitted to. */
  public portRangesFor(client: StackService): ServicePortRange[] {
    return this.data.portRanges.filter((range) => this.rangeClients.get(range.name)?.includes(client));
  }

  /** The port range that holds a port number, if any. */
  public findPortRange(port: number): ServicePortRange | undefined {
    return this.data.portRanges.find((range) => port >= range.start && port <= range.end);
  }

  private findPortRangeByName(name: string): ServicePortRange | undefined {
    return this.data.portRanges.find((range) => range.name === name);
  }

  /** Environment variables, with this environment's overrides applied. */
  public get env(): Readonly<Record<string, EnvValue>> {
    return this.envVars;
  }

  /**
   * Adds a variable after creation, for values that need a service created later (such as its
   * public URL). An override from the environment keeps precedence.
   */
  public addEnv(name: string, value: EnvValue): void {
    if (this.overriddenEnv.has(name)) return;
    Object.assign(this.envVars, this.mergeEnv(this.envVars, { [name]: value }));
  }

  /** The service name, identical in every target. */
  public get name(): string {
    return this.node.id;
  }

  /**
   * Reference to the private URL of one replica's port, for a service addressed per replica:
   * `http://ten-agent-1:8080` on Compose.
   */
  public replicaUrl(replica: number, port: number, options: { scheme?: string; path?: string } = {}): ServiceEndpointRef {
    return new ServiceEndpointRef(this, port, 'url', options?.scheme ?? 'http', options?.path ?? '', replica);
  }

  /** References to the private URL of every replica's port, in replica order (see `replicaUrl`). */
  public replicaUrls(port: number, options: { scheme?: string; path?: string } = {}): ServiceEndpointRef[] {
    return Array.from({ length: this.data.replicas }, (_, replica) => this.replicaUrl(replica, port, options));
  }

  /** Seconds a stopping container gets before a forced kill: its drain and the margin after it. */
  public get stopGracePeriodSeconds(): number | undefined {
    const drain = this.data.drain;
    return drain === undefined ? undefined : drain.seconds + drain.marginSeconds;
  }

  /** Reference to the private URL of one of this service's ports, e.g. `http://jitsi-prosody:5280`. */
  public url(port: number, options: { scheme?: string; path?: string } = {}): ServiceEndpointRef {
    return new ServiceEndpointRef(this, port, 'url', options?.scheme ?? 'http', options?.path ?? '');
  }

  /** Reference to this service's private hostname, as reached on one of its ports. */
  public host(port: number): ServiceEndpointRef {
    return new ServiceEndpointRef(this, port, 'host');
  }

  /** Reference to the port number other services use to reach `port` (differs when a target proxies it). */
  public portNumber(port: number): ServiceEndpointRef {
    return new ServiceEndpointRef(this, port, 'port');
  }

  /** Reference to this service's public HTTPS URL. */
  public publicUrl(): PublicUrlRef {
    return new PublicUrlRef(this);
  }

  /** Ports reachable from the internet. */
  public get publicPorts(): ServicePort[] {
    return this.data.ports.filter((port) => port.exposure === 'public');
  }

  /** The public HTTP port, if the service has one: the target of Ingress, Railway domains, published Compose ports. */
  public get publicHttpPort(): ServicePort | undefined {
    return this.publicPorts.find((port) => port.protocol === 'tcp');
  }

  /** The TCP port Prometheus scrapes (`metrics.port`), or undefined for a service without metrics. */
  public get metricsPort(): ServicePort | undefined {
    const metrics = this.data.metrics;
    return metrics === undefined ? undefined : this.data.ports.find((port) => port.port === metrics.port && port.protocol === 'tcp');
  }

  /**
   * The ports the services that depend on this one may connect to: every port but a listener of
   * its own for metrics (the metrics port when it is named `metrics`), which only Prometheus scrapes.
   */
  public get clientPorts(): ServicePort[] {
    const metrics = this.metricsPort;
    return this.data.ports.filter((port) => port !== metrics || port.name !== 'metrics');
  }

  /** Finds a declared port by number. */
  public findPort(port: number): ServicePort | undefined {
    return this.data.ports.find((candidate) => candidate.port === port);
  }

  /** Persistent volumes (PVCs, named volumes, Railway volumes). */
  public get persistentVolumes() {
    return this.data.volumes.filter((volume) => volume.persistent);
  }

  /** Scratch volumes (emptyDir, tmpfs): writable directories in a read-only container. */
  public get scratchVolumes() {
    return this.data.volumes.filter((volume) => !volume.persistent);
  }

  /** Stateful services keep data in a persistent volume and run as a StatefulSet. */
  public get isStateful(): boolean {
    return this.persistentVolumes.length > 0;
  }

  /** Doppler secret names this service needs, sorted. */
  public get secretNames(): string[] {
    const names = new Set<string>();
    for (const value of Object.values(this.env)) {
      for (const ref of referencesIn(value)) if (ref instanceof SecretRef) names.add(ref.name);
    }
    return [...names].sort();
  }

  /**
   * Checks that need the service's final environment (after overrides and `addEnv`); called when
   * the environment is validated. Subclasses add their own.
   */
  public checkComplete(): void {}

  /** Throws a SpecError located at this service. */
  public fail(field: string | undefined, problem: string): never {
    throw new SpecError(
      { environment: this.environment.name, service: this.node.id, ...(field !== undefined ? { field } : {}) },
      problem,
    );
  }

  private parseData(props: StackServiceProps): ServiceData {
    const { env: _env, dependsOn: _dependsOn, singleton: _singleton, ...data } = props;
    const parsed = serviceDataSchema.safeParse(data, { reportInput: true });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      this.fail(zodIssuePath(issue), formatZodIssue(issue));
    }
    return parsed.data;
  }

  /** Checks what zod cannot: one source, a pinned image, unique ports, names and mount paths. */
  private checkData(): void {
    const { image, build } = this.data;
    if ((image === undefined) === (build === undefined)) {
      this.fail('image', 'give exactly one of image (a pinned image) or build (a build context)');
    }
    if (image !== undefined) {
      const problem = whyNotPinned(image);
      if (problem !== undefined) this.fail('image', problem);
    }
    const seen = new Set<string>();
    const names = new Set<string>();
    for (const [index, port] of this.data.ports.entries()) {
      const key = `${port.port}/${port.protocol}`;
      if (seen.has(key)) this.fail(`ports[${index}]`, `port ${key} is declared twice`);
      if (port.name !== undefined && names.has(port.name)) this.fail(`ports[${index}].name`, `port name "${port.name}" is used twice`);
      seen.add(key);
      if (port.name !== undefined) names.add(port.name);
    }
    const rangeNames = new Set<string>();
    for (const [index, range] of this.data.portRanges.entries()) {
      if (rangeNames.has(range.name)) this.fail(`portRanges[${index}].name`, `port range name "${range.name}" is used twice`);
      rangeNames.add(range.name);
      const clash = this.data.ports.find((port) => port.protocol === 'tcp' && port.port >= range.start && port.port <= range.end);
      if (clash !== undefined) this.fail(`portRanges[${index}]`, `range ${range.start}-${range.end} holds port ${clash.port}, which is declared as a port`);
      const overlap = this.data.portRanges.slice(0, index).find((other) => range.start <= other.end && other.start <= range.end);
      if (overlap !== undefined) this.fail(`portRanges[${index}]`, `range ${range.start}-${range.end} overlaps range "${overlap.name}" (${overlap.start}-${overlap.end})`);
    }
    const publicTcp = this.data.ports.filter((port) => port.exposure === 'public' && port.protocol === 'tcp');
    if (publicTcp.length > 1) {
      this.fail(
        `ports[${this.data.ports.indexOf(publicTcp[1] as ServicePort)}]`,
        `a service has at most one public TCP port (its HTTPS entry point), got ${publicTcp.map((port) => port.port).join(', ')}`,
      );
    }
    const volumeNames = new Set<string>();
    const mountPaths = new Set<string>();
    for (const [index, volume] of this.data.volumes.entries()) {
      if (volumeNames.has(volume.name)) this.fail(`volumes[${index}].name`, `volume name "${volume.name}" is used twice`);
      if (mountPaths.has(volume.mountPath)) this.fail(`volumes[${index}].mountPath`, `two volumes are mounted at ${volume.mountPath}`);
      volumeNames.add(volume.name);
      mountPaths.add(volume.mountPath);
    }
    const check = this.data.healthCheck?.http;
    if (check !== undefined && this.findPort(check.port) === undefined) {
      this.fail('healthCheck.http.port', `health check port ${check.port} is not one of the service's ports (${this.describePorts()})`);
    }
    if (check !== undefined && !this.data.ports.some((port) => port.port === check.port && port.protocol === 'tcp')) {
      this.fail('healthCheck.http.port', `health check port ${check.port} is UDP only, and an HTTP health check needs a TCP listener; give the TCP port the service answers HTTP on (${this.describePorts()})`);
    }
    for (const [index, port] of this.data.ports.entries()) {
      if (port.hostPort !== undefined && port.exposure !== 'public') {
        this.fail(`ports[${index}].hostPort`, `hostPort publishes a public port on the Compose host, but port ${port.port}/${port.protocol} is private; give it exposure: 'public' or drop hostPort`);
      }
    }
    const { cpuMillicores, cpuLimitMillicores } = this.data.resources;
    if (cpuLimitMillicores !== undefined && cpuLimitMillicores < cpuMillicores) {
      this.fail('resources.cpuLimitMillicores', `the CPU limit (${cpuLimitMillicores} millicores) is below the CPU the service is guaranteed (cpuMillicores ${cpuMillicores}); a limit cannot be under the request`);
    }
    if (this.data.udpEgress !== undefined && !this.data.egressToInternet) {
      this.fail('udpEgress', 'UDP to public addresses is egress to the internet; give the service egressToInternet: true as well');
    }
    if (this.data.externalServices.length > 0 && !this.data.egressToInternet) {
      this.fail('externalServices', `calling ${this.data.externalServices.map((external) => quoted(external.name)).join(', ')} is egress to the internet; give the service egressToInternet: true as well`);
    }
    if (this.singleton !== undefined && this.data.replicas > 1) {
      this.fail('replicas', `${this.singleton}, so it must run 1 replica, got ${this.data.replicas}`);
    }
    this.checkReplicaAddressing();
    this.checkMetricsPort();
    this.data.peerPorts.forEach((port, index) => {
      if (!this.data.ports.some((candidate) => candidate.port === port && candidate.protocol === 'tcp')) {
        this.fail(`peerPorts[${index}]`, `peer port ${port} is not one of the service's TCP ports (${this.describePorts()})`);
      }
    });
    const commandLines: Array<[string, readonly string[] | undefined]> = [
      ['command', this.data.command],
      ['healthCheck.exec', this.data.healthCheck?.exec],
      ['drain.preStop', this.data.drain?.preStop],
    ];
    for (const [field, args] of commandLines) {
      if (args?.[0] === '') this.fail(`${field}[0]`, 'the program to run is empty');
      args?.forEach((arg, index) => {
        if (arg.includes('\0')) this.fail(`${field}[${index}]`, 'contains a NUL byte, which no command line can carry');
        const problem = whyLooksLikeCredential(undefined, arg);
        if (problem !== undefined) this.fail(`${field}[${index}]`, `${problem}; never put secrets in the stack description, pass them as variables from secret() and read those`);
      });
    }
  }

  /**
   * Metrics are for the operators' Prometheus, inside the network: they name tools, rooms and
   * versions, so a public port (one the internet reaches) must not serve them.
   */
  private checkMetricsPort(): void {
    const metrics = this.data.metrics;
    if (metrics === undefined) return;
    const port = this.metricsPort;
    if (port === undefined) this.fail('metrics.port', `metrics port ${metrics.port} is not one of the service's TCP ports (${this.describePorts()})`);
    if (port.exposure === 'public') {
      this.fail('metrics.port', `metrics port ${metrics.port} is public, and metrics must stay inside the network; serve them on a private port of their own (add { name: 'metrics', port: …, exposure: 'private' })`);
    }
  }

  /**
   * A service addressed per replica is reached replica by replica under stable names, which only
   * works for what each target can give such names: no public port (an Ingress, a published port
   * or a Railway domain reaches the service as a whole), no volume (its data would be bound to a
   * name that scaling down removes), at least one replica (its clients list every replica), and
   * replicas replaced one at a time.
   */
  private checkReplicaAddressing(): void {
    if (this.data.addressing !== 'replica') return;
    const reason = 'its replicas are addressed one by one (addressing: \'replica\')';
    const publicPort = this.data.ports.find((port) => port.exposure === 'public');
    if (publicPort !== undefined) {
      this.fail(
        `ports[${this.data.ports.indexOf(publicPort)}]`,
        `${reason}, but public port ${publicPort.port}/${publicPort.protocol} would reach the service as a whole; keep its ports private and let a service addressed as a whole face the internet`,
      );
    }
    const volume = this.persistentVolumes[0];
    if (volume !== undefined) {
      this.fail(
        `volumes[${this.data.volumes.indexOf(volume)}]`,
        `${reason}, which is for state kept in memory; persistent volume "${volume.name}" would stay bound to a replica's name that scaling down removes`,
      );
    }
    if (this.data.replicas === 0) this.fail('replicas', `${reason}, so it needs at least 1 replica: its clients list every replica's URL and would get none, got 0`);
    if (this.data.rollout === 'recreate') {
      this.fail('rollout', `${reason}, and such replicas are replaced one at a time (each drains while the others take new work); drop rollout: 'recreate'`);
    }
  }

  /** `env` (or an override's `env`) must map variable names to values. */
  private checkEnvShape(field: string, env: unknown): Record<string, EnvValue> {
    if (env === undefined) return {};
    if (!isPlainObject(env)) this.fail(field, `must be an object of variable name → value, got ${describeValue(env)}`);
    return env as Record<string, EnvValue>;
  }

  /** `dependsOn` must list services or their names; an undefined entry is usually a service used before it was created. */
  private checkDependsOnShape(dependsOn: unknown): Array<StackService | string> {
    if (dependsOn === undefined) return [];
    if (!Array.isArray(dependsOn)) this.fail('dependsOn', `must be an array of services or service names, got ${describeValue(dependsOn)}`);
    dependsOn.forEach((dependency: unknown, index) => {
      if (dependency instanceof StackService) return;
      if (typeof dependency === 'string' && dependency !== '') return;
      const hint = dependency === undefined || dependency === null ? ' (a service used before it was created, or a property that does not exist?)' : '';
      this.fail(`dependsOn[${index}]`, `must be a service or the name of one, got ${describeValue(dependency)}${hint}`);
    });
    return dependsOn as Array<StackService | string>;
  }

  /**
   * Merges `overrides` over `base` and checks every variable: a valid name, no literal where a
   * secret was declared, no literal that looks like a credential, secret names Doppler accepts.
   */
  private mergeEnv(base: Record<string, EnvValue>, overrides: Record<string, EnvValue>): Record<string, EnvValue> {
    for (const [name, value] of Object.entries(overrides)) {
      const declared = Object.hasOwn(base, name) ? base[name] : undefined;
      if (typeof value !== 'string' || declared === undefined || typeof declared === 'string') continue;
      if (declared instanceof SecretRef) {
        this.fail(`env.${name}`, `literal value for a variable declared secret; reference the Doppler secret with secret("${declared.name}") instead`);
      }
      const secrets = referencesIn(declared).filter((ref) => ref instanceof SecretRef);
      if (secrets.length > 0) {
        this.fail(
          `env.${name}`,
          `literal value for a variable built from secrets (${[...new Set(secrets.map((ref) => ref.name))].join(', ')}); keep the secret references, e.g. interpolate\`…\${secret("${secrets[0]?.name}")}\``,
        );
      }
    }
    const merged = { ...base, ...overrides };
    for (const [name, value] of Object.entries(merged)) {
      if (!ENV_NAME_PATTERN.test(name)) this.fail(`env.${name}`, `${quoted(name)} is not a valid environment variable name`);
      if (typeof value !== 'string' && !isReference(value)) {
        this.fail(`env.${name}`, `value must be a string or a reference (secret(), service.url(), ...), got ${describeValue(value)}`);
      }
      const malformed = whyMalformed(value);
      if (malformed !== undefined) this.fail(`env.${name}`, malformed);
      for (const literal of literalsIn(value)) {
        if (literal.includes('\0')) this.fail(`env.${name}`, 'the value contains a NUL byte, which no environment variable can carry');
        const problem = whyLooksLikeCredential(name, literal);
        if (problem !== undefined) {
          this.fail(`env.${name}`, `${problem}; never put secrets in the stack description, use secret("${name}") and store the value in Doppler`);
        }
      }
      for (const ref of referencesIn(value)) {
        if (ref instanceof SecretRef && (typeof ref.name !== 'string' || !SECRET_NAME_PATTERN.test(ref.name))) {
          this.fail(`env.${name}`, `secret name ${typeof ref.name === 'string' ? quoted(ref.name) : describeValue(ref.name)} must be upper snake case (A-Z, 0-9, _), as Doppler stores it`);
        }
      }
    }
    return merged;
  }

  private describePorts(): string {
    return this.data.ports.map((port) => `${port.port}/${port.protocol}`).join(', ') || 'none';
  }
}

function pickDefined<T extends object, K extends keyof T>(value: T | undefined, keys: K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  if (value === undefined) return picked;
  for (const key of keys) if (value[key] !== undefined) picked[key] = value[key];
  return picked;
}
