import type { StackEnvironment } from '../../constructs/index.ts';
import type { Deployment, DeploymentStatus, RailwayApi } from '../railway/railway-api.ts';

// What every step of a deploy run shares: the Railway API and project, the run's time limits, and
// where progress goes.

export interface Context {
  readonly environment: StackEnvironment;
  readonly api: RailwayApi;
  readonly projectId: string;
  readonly environmentId: string;
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly healthWindowMs: number;
  readonly healthTimeoutMs: number;
  readonly adoptWaitMs: number;
  readonly sinceMs: number | undefined;
  readonly originMap: ReadonlyMap<string, string>;
  readonly progress: (line: string) => void;
}

/** Statuses that mean a deployment serves. */
export const SUCCEEDED: ReadonlySet<DeploymentStatus> = new Set(['SUCCESS', 'SLEEPING']);

/** A service's deployments in this environment, newest first (as Railway lists them). */
export function listDeployments(context: Context, run: { serviceId: string }): Promise<Deployment[]> {
  return context.api.deployments({ projectId: context.projectId, environmentId: context.environmentId, serviceId: run.serviceId });
}

/** A duration for messages: `900 s`, `0.5 s`. */
export function seconds(ms: number): string {
  const value = ms / 1000;
  return `${Number.isInteger(value) ? value : value.toFixed(1)} s`;
}
