import { Construct, type IConstruct } from 'constructs';
import { z } from 'zod';
import { whyNotPinned } from './image.ts';
import type { EnvValue } from './references.ts';
import { resourcesSchema, type ResourcesProps } from './service-props.ts';
import { quoted, SpecError } from './spec-error.ts';
import { describeValue, formatZodIssue, zodIssuePath } from './zod-issues.ts';

/** Context key under which the loader records the environment file being built. */
export const SOURCE_FILE_CONTEXT = 'voice-agent:source-file';

/** The renderings an environment can ask for. */
export const TARGETS = ['compose', 'kubernetes', 'railway'] as const;
export type Target = (typeof TARGETS)[number];

const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/, 'must be a lowercase hostname')
  // An all-digit top label is an IPv4 address (no top-level domain is numeric): TLS certificates,
  // Ingress hosts and Railway custom domains need a DNS name.
  .refine((name) => !/(^|\.)[0-9]+$/.test(name), 'must be a DNS name, not an IP address');

/** A Kubernetes namespace (an RFC 1123 label). */
const namespaceName = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a Kubernetes namespace name (a lowercase DNS label)');

/** The name of a Kubernetes object such as an IngressClass, a Secret or a ClusterIssuer (an RFC 1123 subdomain). */
const objectName = z
  .string()
  .regex(/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'must be a Kubernetes object name (lowercase letters, digits, - and .)');

/** Kubernetes annotation keys: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
const annotations = z.record(
  z
    .string()
    .regex(
      /^((?=[^/]{1,253}\/)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\/)?(?=[^/]{1,63}$)[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/,
      'must be a Kubernetes annotation key ([prefix/]name)',
    ),
  z.string(),
);

/** Kubernetes label keys and values, as the API server accepts them. */
const labelMap = z.record(
  z
    .string()
    .regex(
      /^((?=[^/]{1,253}\/)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\/)?(?=[^/]{1,63}$)[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/,
      'must be a Kubernetes label key ([prefix/]name)',
    ),
  z.string().regex(/^(([A-Za-z0-9][A-Za-z0-9._-]{0,61})?[A-Za-z0-9])?$/, 'must be a Kubernetes label value (at most 63 letters, digits, . _ -, starting and ending with a letter or digit)'),
);

/** An image reference pinned to one release (or a digest), as service images must be. */
const pinnedImage = z.string().superRefine((image, context) => {
  const why = whyNotPinned(image);
  if (why !== undefined) context.addIssue({ code: 'custom', message: why });
});

/** A git branch name: what `git check-ref-format --branch` accepts, roughly. */
const branchName = z
  .string()
  .min(1)
  .regex(/^(?!-)(?!.*(\.\.|@\{|\/\/|\/\.|\.lock$|\.$|\/$))[^\x00-\x20\x7f~^:?*[\\]+$/, 'must be a git branch name (no spaces, control characters, "..", ~ ^ : ? * [ or \\)');

/** Names of environment variables, as every target accepts them. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const envName = z.string().regex(ENV_NAME_PATTERN, 'must be an environment variable name (letters, digits and _, not starting with a digit)');

/**
 * Slugs of the root configs every Doppler project starts with, one per environment (Development,
 * Staging, Production). A branch config is named `<root>_<suffix>`: Doppler prefixes the name with
 * the environment's slug, and its CLI reads the environment from the text before the first `_`.
 */
export const DOPPLER_ROOT_CONFIGS = ['dev', 'stg', 'prd'] as const;

/** `dev`, `stg`, `prd`, or a branch config such as `prd_railway`; never `frontend-prd` or `prd-railway`. */
const DOPPLER_CONFIG_PATTERN = new RegExp(`^(${DOPPLER_ROOT_CONFIGS.join('|')})(_[a-z0-9]+)*$`);

function dopplerConfigSchema() {
  return z
    .string()
    .regex(
      DOPPLER_CONFIG_PATTERN,
      `must be a Doppler config name: a root config (${DOPPLER_ROOT_CONFIGS.join(', ')}) or a branch config named <root>_<suffix> such as prd_railway (lowercase letters, digits and _; the root comes first)`,
    );
}

/** What an environment may change about any service, by service name. */
export interface ServiceOverrides {
  readonly image?: string;
  readonly replicas?: number;
  readonly resources?: ResourcesProps;
  /** Merged over the service's own variables. */
  readonly env?: Record<string, EnvValue>;
  /** Added to the service's own dependencies. */
  readonly dependsOn?: string[];
}

export const overridesSchema = z.strictObject({
  image: z.string().optional(),
  replicas: z.number().int().min(0).max(100).optional(),
  resources: resourcesSchema.optional(),
  env: z.record(z.string(), z.any()).optional(),
  dependsOn: z.array(z.string()).optional(),
});

const environmentSchema = z.strictObject({
  targets: z
    .array(z.enum(TARGETS))
    .min(1, 'name at least one target')
    .refine((targets) => new Set(targets).size === targets.length, 'lists a target twice'),
  domain: hostname,
  publicHostnames: z.record(z.string(), hostname).default({}),
  doppler: z.strictObject({
    project: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a lowercase Doppler project slug'),
    config: dopplerConfigSchema(),
  }),
  kubernetes: z
    .strictObject({
      namespace: namespaceName.optional(),
      databases: z.enum(['in-cluster', 'external']).default('in-cluster'),
      ingressClassName: objectName.default('nginx'),
      ingressNamespace: namespaceName.default('ingress-nginx'),
      ingressAnnotations: annotations.default({}),
      tlsClusterIssuer: objectName.default('letsencrypt'),
      storageClassName: objectName.optional(),
      loadBalancerAnnotations: annotations.default({}),
      dopplerOperatorNamespace: namespaceName.default('doppler-operator-system'),
      dopplerTokenSecret: objectName.optional(),
      argocdNamespace: dnsLabelSchema().default('argocd'),
      argocdProject: z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, 'must be an Argo CD project name (a DNS subdomain)').default('default'),
      monitoring: z
        .strictObject({
          namespace: namespaceName.default('monitoring'),
          selectorLabels: labelMap.default({}),
          dashboardLabels: labelMap.default({ grafana_dashboard: '1' }),
        })
        .optional(),
    })
    // prefault parses the empty object, so the field defaults above apply.
    .prefault({}),
  railway: z
    .strictObject({
      project: z
        .string()
        .min(1)
        .regex(/^[^\x00-\x1f\x7f]*$/, 'must not contain control characters')
        .refine((name) => name.trim() === name, 'must not start or end with white space'),
      domain: hostname.optional(),
      publicHostnames: z.record(z.string(), hostname).default({}),
      offRailway: z
        .array(z.string())
        .refine((names) => new Set(names).size === names.length, 'lists a service twice')
        .default([]),
      offRailwayHost: dnsLabelSchema().default('media-host'),
      offRailwayEnv: z.record(z.string(), z.record(envName, z.string())).default({}),
      secretSync: z.enum(['doppler-integration', 'cli']).default('doppler-integration'),
    })
    .optional(),
  repository: z
    .strictObject({
      github: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be owner/name'),
      branch: branchName.default('main'),
      imageRegistry: z.string().regex(/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)+$/, 'must be registry/path'),
    })
    .optional(),
  compose: z
    .strictObject({
      observability: z.strictObject({ prometheusImage: pinnedImage, grafanaImage: pinnedImage }).optional(),
    })
    .prefault({}),
  overrides: z.record(z.string(), overridesSchema).default({}),
});

function dnsLabelSchema() {
  return z.string().regex(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a lowercase DNS label');
}

/** Properties of a `StackEnvironment`. */
export interface StackEnvironmentProps {
  /** Which renderings this environment produces. */
  readonly targets: Target[];
  /**
   * Base domain of public services: a public service is reachable at `<service>.<domain>`.
   * Development uses `localhost`.
   */
  readonly domain: string;
  /** Hostnames that replace `<service>.<domain>` for some services. @default - none */
  readonly publicHostnames?: Record<string, string>;
  /**
   * Where this environment's secrets live in Doppler: a project slug and a config, `dev`, `stg`,
   * `prd` or a branch config `<root>_<suffix>` such as `prd_railway`.
   */
  readonly doppler: { project: string; config: string };
  /** Kubernetes settings. @default - namespace `voice-agent-<env>`, in-cluster databases, nginx ingress */
  readonly kubernetes?: {
    namespace?: string;
    /** `external` reads database connection secrets from Doppler instead of running StatefulSets. @default 'in-cluster' */
    databases?: 'in-cluster' | 'external';
    /** @default 'nginx' */
    ingressClassName?: string;
    /** Namespace of the ingress controller, allowed to reach public HTTP ports. @default 'ingress-nginx' */
    ingressNamespace?: string;
    /** @default - none */
    ingressAnnotations?: Record<string, string>;
    /** cert-manager ClusterIssuer for Ingress TLS. @default 'letsencrypt' */
    tlsClusterIssuer?: string;
    /** @default - the cluster's default StorageClass */
    storageClassName?: string;
    /** Annotations for LoadBalancer Services (public UDP). @default - none */
    loadBalancerAnnotations?: Record<string, string>;
    /** @default 'doppler-operator-system' */
    dopplerOperatorNamespace?: string;
    /**
     * Secret in the operator namespace holding a Doppler service token for this environment's
     * config (a service token reads exactly one config). @default - `doppler-token-<config>`
     */
    dopplerTokenSecret?: string;
    /** Namespace Argo CD runs in, where the environment's Application (dist/argocd/<env>.yaml) lives. @default 'argocd' */
    argocdNamespace?: string;
    /** Argo CD project of that Application; it must allow the repository and the destinations. @default 'default' */
    argocdProject?: string;
    /**
     * Prometheus Operator monitoring (kube-prometheus-stack or the like): a ServiceMonitor per
     * service with metrics, the voice path's alert rules (PrometheusRule) and its Grafana dashboard
     * (a ConfigMap for Grafana's dashboard sidecar), in `_observability.yaml`. The cluster must
     * have the operator's CRDs. @default - none rendered
     */
    monitoring?: {
      /** Namespace Prometheus runs in: its pods may reach the metrics ports. @default 'monitoring' */
      namespace?: string;
      /**
       * Labels the monitors and rules carry, for the Prometheus `serviceMonitorSelector` and
       * `ruleSelector` (kube-prometheus-stack selects `release: <its release name>`). @default - none
       */
      selectorLabels?: Record<string, string>;
      /** Labels Grafana's dashboard sidecar looks for. @default { grafana_dashboard: '1' } */
      dashboardLabels?: Record<string, string>;
    };
  };
  /** Docker Compose settings. @default - no observability profile */
  readonly compose?: {
    /**
     * Compose's optional `observability` profile: a Prometheus that scrapes every service with
     * metrics and evaluates the voice path's alert rules, and a Grafana provisioned with its
     * dashboard (`docker compose --profile observability up`). Pinned images. @default - none
     */
    observability?: { prometheusImage: string; grafanaImage: string };
  };
  /** Railway settings; required when `targets` includes `railway`. @default - none */
  readonly railway?: {
    /** Railway project name; one project holds every Railway environment. */
    project: string;
    /**
     * Base domain of Railway custom domains: a public service gets `<service>.<domain>`. When the
     * environment also renders Kubernetes, Railway needs hostnames of its own (DNS can point at only
     * one of them). @default - the environment's domain
     */
    domain?: string;
    /** Railway hostnames that replace `<service>.<railway domain>`. @default - none */
    publicHostnames?: Record<string, string>;
    /**
     * Services that run off Railway, on a host that can do what Railway cannot (public UDP).
     * They are rendered to a Compose file next to the Railway output. @default - none
     */
    offRailway?: string[];
    /** Name of that host, used in file names. @default 'media-host' */
    offRailwayHost?: string;
    /**
     * Literal variables that differ on that host, by service, such as the host's public address
     * (`JVB_ADVERTISE_IPS`). @default - none
     */
    offRailwayEnv?: Record<string, Record<string, string>>;
    /**
     * How the environment's Doppler secrets become Railway shared variables: Doppler's own Railway
     * integration (configured in Doppler's dashboard), or `secrets sync --env <name>` of this
     * repository's CLI, which copies exactly the names Railway's services read. One writer only:
     * the CLI refuses environments the integration keeps. @default 'doppler-integration'
     */
    secretSync?: 'doppler-integration' | 'cli';
  };
  /** Where built services come from; required when a service has `build`. @default - none */
  readonly repository?: {
    /** GitHub repository, `owner/name`. */
    github: string;
    /** @default 'main' */
    branch?: string;
    /** Registry path that CI pushes built images to, e.g. `ghcr.io/acme/voice-agent`. */
    imageRegistry: string;
  };
  /** Per-service changes for this environment, by service name. @default - none */
  readonly overrides?: Record<string, ServiceOverrides>;
}

export type EnvironmentSettings = z.output<typeof environmentSchema>;

/**
 * One deployment environment (development, staging, production): the root under which an
 * environment file builds the stack. Its construct id is the environment name.
 */
export class StackEnvironment extends Construct {
  /**
   * Finds the environment a construct belongs to. With `childId`, `construct` is the scope of a
   * child about to be created under that id, and a failure names the child.
   */
  public static of(construct: IConstruct, childId?: string): StackEnvironment {
    for (const scope of construct.node.scopes.slice().reverse()) {
      if (scope instanceof StackEnvironment) return scope;
    }
    const path = childId === undefined ? construct.node.path : [construct.node.path, childId].filter((part) => part !== '').join('/');
    throw new SpecError(
      { service: childId ?? construct.node.id },
      `${quoted(path)} is not inside a StackEnvironment; create services under the environment your environment file builds`,
    );
  }

  public static isStackEnvironment(value: unknown): value is StackEnvironment {
    return value instanceof StackEnvironment;
  }

  public readonly settings: EnvironmentSettings;
  /** Which environment file built this environment; recorded in rendered output for provenance. */
  public readonly sourceFile: string | undefined;

  constructor(scope: Construct, id: string, props: StackEnvironmentProps) {
    checkNewEnvironment(scope, id);
    super(scope, id);
    const parsed = environmentSchema.safeParse(props, { reportInput: true });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = zodIssuePath(issue);
      throw new SpecError({ environment: id, ...(field !== undefined ? { field } : {}) }, formatZodIssue(issue));
    }
    this.settings = parsed.data;
    const source: unknown = this.node.tryGetContext(SOURCE_FILE_CONTEXT);
    this.sourceFile = typeof source === 'string' ? source : undefined;
    if (this.renders('railway') && this.settings.railway === undefined) {
      throw new SpecError({ environment: id, field: 'railway' }, 'targets include railway, so give railway.project');
    }
  }

  /** The environment name. */
  public get name(): string {
    return this.node.id;
  }

  public renders(target: Target): boolean {
    return this.settings.targets.includes(target);
  }

  /** Kubernetes namespace of this environment (also names this environment in shared places). */
  public get namespace(): string {
    return this.settings.kubernetes.namespace ?? `voice-agent-${this.name}`;
  }

  /** Overrides this environment declares for one service. */
  public overridesFor(serviceName: string): ServiceOverrides | undefined {
    return this.settings.overrides[serviceName] as ServiceOverrides | undefined;
  }

  /** Public hostname of a service behind the Kubernetes Ingress. */
  public publicHostname(serviceName: string): string {
    return this.settings.publicHostnames[serviceName] ?? `${serviceName}.${this.settings.domain}`;
  }
}

const ENVIRONMENT_NAME_PATTERN = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;

/**
 * What the constructs library would refuse with a bare Error (an empty id, an id used twice),
 * and what it would accept but synth could not use (an environment inside another, whose services
 * the outer one would count as its own), checked before the construct exists.
 */
function checkNewEnvironment(scope: unknown, id: unknown): void {
  const shownId = typeof id === 'string' ? id : describeValue(id);
  if (typeof id !== 'string' || !ENVIRONMENT_NAME_PATTERN.test(id)) {
    throw new SpecError(
      { environment: shownId },
      `environment name must be a lowercase DNS label of at most 32 characters, got ${typeof id === 'string' ? quoted(id) : shownId}`,
    );
  }
  if (!(scope instanceof Construct)) return;
  const outer = scope.node.scopes.find((candidate) => candidate instanceof StackEnvironment);
  if (outer !== undefined) {
    throw new SpecError({ environment: id }, `is created inside environment ${quoted(outer.node.id)}; an environment file builds one environment, directly under the scope it is given`);
  }
  if (scope.node.tryFindChild(id) !== undefined) {
    throw new SpecError({ environment: id }, 'is created twice under the same scope; an environment file builds one environment');
  }
}
