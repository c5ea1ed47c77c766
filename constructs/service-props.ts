import { z } from 'zod';

// The plain-data part of a service description, checked with zod as soon as a service is
// created. References (env values, dependencies) are checked by `StackService` itself.

const portNumber = z.number().int().min(1).max(65535);
const absolutePath = z
  .string()
  .regex(/^\/[^\0]*$/, 'must be an absolute path')
  .refine((path) => path !== '/', 'must not be / (a volume there would hide the whole image)')
  .refine((path) => !/\/\/|\/\.{1,2}(\/|$)|\/$/.test(path), 'must be a normalized path (no trailing /, no //, no . or .. segments)');
const urlPath = z
  .string()
  .startsWith('/')
  .regex(/^[^\s\x00-\x1f\x7f]*$/, 'must be a URL path without spaces or control characters');
/**
 * One line for the review page (dist/<env>.md), which draws it on the diagram: printable text
 * without control characters.
 */
const reviewText = z.string().trim().min(1).regex(/^[^\x00-\x1f\x7f]*$/, 'must be one line of printable text');
const dnsLabel = z
  .string()
  .regex(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a lowercase DNS label (a-z, 0-9, -)');

export const portSchema = z.strictObject({
  /** Port name, used for Kubernetes port names. @default - the protocol and number, e.g. `tcp-8080` */
  name: dnsLabel.max(15).optional(),
  /** The port the container listens on. */
  port: portNumber,
  /** @default 'tcp' */
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
  /**
   * `public` ports are reachable from the internet (Ingress, published Compose port, Railway
   * domain); `private` ports only from services that depend on this one.
   * @default 'private'
   */
  exposure: z.enum(['private', 'public']).default('private'),
  /** Host port a public port is published on by Compose. @default - the container port */
  hostPort: portNumber.optional(),
  /**
   * What the port speaks above TCP or UDP, for the review page's diagram: `XMPP`, `MCP`,
   * `PostgreSQL wire protocol`. The transport (HTTP, HTTPS, TCP, UDP) comes from how each target
   * reaches the port. No target renders it. @default - none; the diagram shows the transport alone
   */
  appProtocol: reviewText.optional(),
});

/**
 * A block of private TCP ports a service opens at run time, one per session (the TEN agent's
 * per-session websocket servers). Only services given access with `admitToPortRange` may connect.
 */
export const portRangeSchema = z
  .strictObject({
    /** Range name: Kubernetes names its headless Service `<service>-<name>`. */
    name: dnsLabel.max(15),
    /** First port of the range. */
    start: portNumber,
    /** Last port of the range (inclusive). */
    end: portNumber,
    /** What the ports speak above TCP, for the review page's diagram (see the port's). @default - none */
    appProtocol: reviewText.optional(),
  })
  .refine((range) => range.start <= range.end, { message: 'start must not be greater than end' });

export const healthCheckSchema = z
  .strictObject({
    /** HTTP form, used for Kubernetes probes and Railway's deploy health check. */
    http: z
      .strictObject({
        /** Answers while the process is alive: liveness, and where nothing else is given, readiness. */
        path: urlPath,
        port: portNumber,
        /**
         * Answers only while the service takes new work (a draining service says no here but stays
         * alive): Kubernetes readiness and Railway's deploy gate. @default - the path
         */
        readinessPath: urlPath.optional(),
      })
      .optional(),
    /** Exec form, run inside the container: Compose health checks, and Kubernetes when there is no HTTP form. */
    exec: z.array(z.string().min(1)).min(1).optional(),
    /** @default 10 */
    intervalSeconds: z.number().int().min(1).max(3600).default(10),
    /** @default 5 */
    timeoutSeconds: z.number().int().min(1).max(600).default(5),
    /** Consecutive failures before the service counts as unhealthy. @default 6 */
    retries: z.number().int().min(1).max(100).default(6),
    /** Grace period after start before failures count. @default 30 */
    startPeriodSeconds: z.number().int().min(0).max(3600).default(30),
  })
  .refine((check) => check.http !== undefined || check.exec !== undefined, {
    message: 'give at least one of http (path, port) or exec (command)',
  });

export const resourcesSchema = z.strictObject({
  /** CPU the service is guaranteed, in millicores (1000 = one core). */
  cpuMillicores: z.number().int().min(10).max(64000),
  /** CPU ceiling in millicores. @default - twice cpuMillicores */
  cpuLimitMillicores: z.number().int().min(10).max(128000).optional(),
  /** Memory request and limit, in MiB; memory is not overcommitted. */
  memoryMiB: z.number().int().min(16).max(262144),
});

export const volumeSchema = z.strictObject({
  /** Volume name, unique within the service. */
  name: dnsLabel,
  /** Where the volume is mounted in the container. */
  mountPath: absolutePath,
  /**
   * Persistent volumes survive restarts (Kubernetes PVC, Compose named volume, Railway volume).
   * Scratch volumes are empty at each start (emptyDir, tmpfs) and exist to give a read-only
   * container a writable directory.
   * @default false
   */
  persistent: z.boolean().default(false),
  /** Size of a persistent volume in GiB. @default 1 */
  sizeGiB: z.number().int().min(1).max(16384).default(1),
});

const repositoryPath = z
  .string()
  .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'must be a relative path inside the repository')
  .refine((path) => !path.split('/').includes('..'), 'must not leave the repository');

export const buildSchema = z
  .strictObject({
    /** Build context, relative to the repository root: `services/mcp-server`, or `.` for a workspace build. */
    context: repositoryPath,
    /** Dockerfile path relative to the context. @default 'Dockerfile' */
    dockerfile: repositoryPath.default('Dockerfile'),
    /**
     * The files that make up the image, relative to the repository root: their content hash tags
     * the image, and only their changes redeploy it (Railway watch patterns, Compose watch).
     * @default - the context
     */
    paths: z.array(repositoryPath).min(1).optional(),
    /**
     * The npm workspace the image installs, e.g. `services/mcp-server`, and whether its build
     * installs the workspace's devDependencies. With it, `package-lock.json` in `paths` counts only
     * for that workspace's dependency closure, and the root `package.json` only for the fields
     * npm reads installing it (charts/root-package-slice.ts): another workspace's or a root tool's
     * upgrade does not rebuild this image. @default - both files count whole
     */
    npmWorkspace: z.strictObject({ path: repositoryPath, devDependencies: z.boolean().default(false) }).optional(),
  })
  .transform((build) => ({ ...build, paths: build.paths ?? [build.context] }));

export const drainSchema = z.strictObject({
  /** Seconds the service takes, at most, to finish its work after SIGTERM (or after preStop). */
  seconds: z.number().int().min(1).max(86400),
  /** Seconds past the drain for shutting down after it (closing connections, flushing). @default 0 */
  marginSeconds: z.number().int().min(0).max(3600).default(0),
  /**
   * A command run in the container before it gets SIGTERM, where the target has such a hook
   * (Kubernetes preStop). The image must drain on SIGTERM as well: the other targets only send it.
   * @default - none
   */
  preStop: z.array(z.string()).min(1).optional(),
});

/**
 * A service outside the stack that a service calls, for the review page's diagram: Pipedream, an
 * identity provider, a vendor's API. The targets let the calls out through `egressToInternet`.
 */
export const externalServiceSchema = z.strictObject({
  /** What it is: `Pipedream`, `identity provider`. The diagram draws one node per name. */
  name: reviewText,
  /** How it is reached, transport first: `HTTPS: OpenID Connect`. */
  protocol: reviewText,
});

/** Where Prometheus scrapes a service: one of its private TCP ports, and the path. */
export const metricsSchema = z.strictObject({
  port: portNumber,
  /** @default '/metrics' */
  path: z
    .string()
    .regex(/^\/[A-Za-z0-9._~\/-]*$/, 'must be an absolute URL path such as /metrics (letters, digits and . _ ~ - /, no query)')
    .default('/metrics'),
});

export const runAsSchema = z.strictObject({
  uid: z.number().int().min(1, 'must be 1 or more (0 is root)').max(2147483647),
  gid: z.number().int().min(1, 'must be 1 or more (0 is root)').max(2147483647),
});

export const serviceDataSchema = z.strictObject({
  description: z.string().optional(),
  image: z.string().optional(),
  build: buildSchema.optional(),
  ports: z.array(portSchema).default([]),
  portRanges: z.array(portRangeSchema).default([]),
  healthCheck: healthCheckSchema.optional(),
  replicas: z.number().int().min(0).max(100).default(1),
  resources: resourcesSchema.default({ cpuMillicores: 250, memoryMiB: 256 }),
  volumes: z.array(volumeSchema).default([]),
  runAs: runAsSchema.default({ uid: 10001, gid: 10001 }),
  readOnlyRootFilesystem: z.boolean().default(true),
  platform: z.enum(['linux/amd64', 'linux/arm64']).optional(),
  command: z.array(z.string()).min(1).optional(),
  egressToInternet: z.boolean().default(false),
  udpEgress: z.string().min(1, 'must say what the service sends over UDP and what it falls back to').regex(/^[^\0]*$/, 'must not contain a NUL byte').optional(),
  rollout: z.enum(['rolling', 'recreate']).default('rolling'),
  addressing: z.enum(['service', 'replica']).default('service'),
  drain: drainSchema.optional(),
  peerPorts: z.array(portNumber).default([]),
  tier: z.enum(['core', 'voice']).default('core'),
  externalServices: z.array(externalServiceSchema).default([]),
  metrics: metricsSchema.optional(),
});

export type PortProps = z.input<typeof portSchema>;
export type HealthCheckProps = z.input<typeof healthCheckSchema>;
export type PortRangeProps = z.input<typeof portRangeSchema>;
export type ServicePortRange = z.output<typeof portRangeSchema>;
export type ResourcesProps = z.input<typeof resourcesSchema>;
export type VolumeProps = z.input<typeof volumeSchema>;
export type BuildProps = z.input<typeof buildSchema>;
export type RunAsProps = z.input<typeof runAsSchema>;
export type ExternalServiceProps = z.input<typeof externalServiceSchema>;
export type MetricsProps = z.input<typeof metricsSchema>;

export type ServicePort = z.output<typeof portSchema>;
export type ServiceHealthCheck = z.output<typeof healthCheckSchema>;
export type ServiceResources = z.output<typeof resourcesSchema>;
export type ServiceVolume = z.output<typeof volumeSchema>;
export type ServiceBuild = z.output<typeof buildSchema>;
export type DrainProps = z.input<typeof drainSchema>;
export type ServiceDrain = z.output<typeof drainSchema>;
export type ServiceData = z.output<typeof serviceDataSchema>;
