import type { Target } from '../../constructs/index.ts';

/** Why a service must redeploy: which of its rendered files changed, per target. */
export interface ServiceChange {
  /** The service's name in the stack (e.g. `jitsi-web`, `mcp-server`). */
  readonly service: string;
  /** The targets whose rendering of this service changed. */
  readonly targets: readonly Target[];
  /**
   * Those of `targets` on which applying the change restarts the service's workload: new pods on
   * Kubernetes, a recreated container on Compose, a new deployment on Railway (see restarts.ts
   * for the rule). On the others it only changes configuration around the workload, such as a
   * NetworkPolicy rule, a Service, an Ingress or a custom domain.
   */
  readonly restartsOn: readonly Target[];
  /** Short human reasons, e.g. `image ghcr.io/jitsi/web:stable-11146-2 → stable-11200`, `env MCP_SERVER_URL`. */
  readonly reasons: readonly string[];
}

/** What one environment must redeploy, dependencies first (a service after everything it depends on). */
export interface EnvironmentPlan {
  readonly environment: string;
  readonly targets: readonly Target[];
  readonly changes: readonly ServiceChange[];
  /**
   * Rendered files of the environment outside any service that changed (namespace, policies, the
   * Argo CD Application, secret lists): configuration only, they restart nothing.
   */
  readonly otherFiles: readonly string[];
}

/** An image CI must build and push before deploying: a built service whose inputs changed. */
export interface ImageBuild {
  readonly service: string;
  /** `<registry>/<service>:sha-<build-context hash>`, exactly as the Kubernetes rendering names it. */
  readonly image: string;
  /** Docker build context, relative to the repository root. */
  readonly context: string;
  /** The Dockerfile, relative to the context (as Compose's `build.dockerfile` reads it). */
  readonly dockerfile: string;
  /** The buildx platform list to build for, comma-separated (`linux/amd64`): the service's declared platform, or the default one. */
  readonly platforms: string;
}

/** The result of `plan <base-ref>`: environments in their order of promotion (development, staging, production). */
export interface DeployPlan {
  readonly baseRef: string;
  /** The commit the base ref named, or undefined when there is none (a first push). */
  readonly baseCommit: string | undefined;
  readonly environments: readonly EnvironmentPlan[];
  /** Images to build and push, one per built service whose code or dependencies changed (any registry it is deployed from). */
  readonly images: readonly ImageBuild[];
}
