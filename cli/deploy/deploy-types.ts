import type { DeployPlan } from '../plan/plan-types.ts';

// What `deploy` takes and what it reports.

/** `planDeploy` of cli/plan/plan.ts. */
export type PlanDeployFunction = (baseRef: string, options?: { log?: (line: string) => void }) => Promise<DeployPlan>;

export interface DeployOptions {
  readonly env: string;
  /** Deploy what `planDeploy(<ref>)` says changed on Railway in this environment. */
  readonly planFrom?: string;
  /** Deploy these services (in the environment's dependency order). */
  readonly services?: readonly string[];
  /** Only roll this service back to its previous deployment. */
  readonly rollback?: string;
  /** Longest wait for one deployment or rollback to finish. @default 900 */
  readonly timeoutSeconds?: number;
  /** First poll interval; polls back off by 1.5× up to six times this (at most 30 s). @default 5 */
  readonly pollIntervalSeconds?: number;
  /** How long a public service may take to pass its health check after Railway reports SUCCESS. @default 60 */
  readonly healthWindowSeconds?: number;
  /** Per health request. @default 10 */
  readonly healthTimeoutSeconds?: number;
  /**
   * Deployments created at or after this time (ISO 8601, or seconds since the epoch) were started
   * by `railway config apply` or a push: wait for those instead of starting another one.
   */
  readonly since?: string;
  /** With `since`: how long to wait for such a deployment to appear before starting one. @default 30 */
  readonly adoptWaitSeconds?: number;
  readonly json?: boolean;
  /** `from=to` origin replacements for the health checks (a tunnel, a test server). */
  readonly mapOrigin?: readonly string[];
  /** Environment files to load. @default - this repository's */
  readonly environmentFiles?: readonly string[];
  /** Where RAILWAY_API_TOKEN and friends come from. @default process.env */
  readonly processEnv?: NodeJS.ProcessEnv;
  /** Report output. @default - stdout */
  readonly stdout?: (text: string) => void;
  /** Progress output. @default - stderr */
  readonly stderr?: (text: string) => void;
  /** The plan function. @default - `planDeploy` of cli/plan/plan.ts, imported when needed */
  readonly planDeploy?: PlanDeployFunction;
  /** Module that exports `planDeploy`, when `planDeploy` is not given. @default - ./plan/plan.ts */
  readonly planModule?: string;
}

export type ServiceResult =
  | 'deployed'
  | 'failed'
  | 'crashed'
  | 'removed'
  | 'timed-out'
  | 'unhealthy'
  | 'api-error'
  | 'rolled-back'
  | 'rollback-failed'
  | 'not-started'
  | 'skipped';

export interface RollbackReport {
  /** The earlier deployment rolled back to. */
  readonly to: string | null;
  /** The deployment the rollback created, when one appeared. */
  readonly deploymentId: string | null;
  readonly ok: boolean;
  readonly detail: string;
}

export interface DeployServiceReport {
  readonly service: string;
  readonly result: ServiceResult;
  /** The deployment this run started or waited for. */
  readonly deploymentId: string | null;
  readonly durationSeconds: number | null;
  readonly detail: string;
  readonly rollback?: RollbackReport;
}

export interface DeployReport {
  readonly environment: string;
  readonly mode: 'deploy' | 'rollback';
  readonly ok: boolean;
  readonly exitCode: 0 | 1 | 3;
  readonly message: string;
  /** The service whose deploy failed, when one did. */
  readonly failedAt: string | null;
  readonly services: DeployServiceReport[];
}
