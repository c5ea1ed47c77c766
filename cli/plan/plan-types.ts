import type { Target } from '../../constructs/index.ts';

/** Why a service must redeploy: which of its rendered files changed, per target. */
export interface ServiceChange {
  /** The service's name in the stack (e.g. `jitsi-web`, `mcp-server`). */
  readonly service: string;
  /** The targets whose rendering of this service changed. */
  readonly targets: readonly Target[];
  /** Short human reasons, e.g. `image ghcr.io/jitsi/web:stable-11146-2 → stable-11200`, `env MCP_SERVER_URL`. */
  readonly reasons: readonly string[];
}

/** What one environment must redeploy, dependencies first (a service after everything it depends on). */
export interface EnvironmentPlan {
  readonly environment: string;
  readonly targets: readonly Target[];
  readonly changes: readonly ServiceChange[];
}

/** The result of `plan <base-ref>`: environments in their order of promotion (development, staging, production). */
export interface DeployPlan {
  readonly baseRef: string;
  readonly environments: readonly EnvironmentPlan[];
}
