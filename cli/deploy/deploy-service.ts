import type { RailwayEnvironmentPlan } from '../../charts/railway/index.ts';
import { CliError } from '../cli-error.ts';
import { checkUrl, describeCheck, type CheckResult } from '../health/check-url.ts';
import { mappedUrl } from '../health/origin-map.ts';
import { sleep, type Deployment } from '../railway/railway-api.ts';
import type { RollbackReport, ServiceResult } from './deploy-types.ts';
import { seconds, type Context } from './railway-context.ts';
import { adoptDeployment, waitForDeployment } from './wait-for-deployment.ts';

// One service's deploy: a new (or adopted) deployment, waited for, then its health checked.

/** One Railway service this run deploys. */
export interface ServiceRun {
  readonly name: string;
  readonly serviceId: string;
  /** Public health URL on Railway (custom domain + health path), when it has one. */
  readonly healthUrl: string | undefined;
  /** How its health is judged, for the report. */
  readonly healthNote: string;
  /** The deployment to roll back to: the one serving before this run. */
  previous: Deployment | undefined;
  deploymentId: string | undefined;
  /** The new deployment went live (Railway switched traffic to it), so a rollback must undo it. */
  live: boolean;
  result: ServiceResult;
  durationMs: number | undefined;
  detail: string;
  rollback: RollbackReport | undefined;
}

/** Deploys one service: start or adopt a deployment, wait for it, check health. Sets `run.result`. */
export async function deployOne(context: Context, run: ServiceRun): Promise<void> {
  const started = Date.now();
  const label = `${context.environment.name}: ${run.name}`;
  try {
    const adopted = context.sinceMs !== undefined ? await adoptDeployment(context, run, started) : undefined;
    if (adopted !== undefined) {
      run.deploymentId = adopted.id;
      context.progress(`${label}: waiting for deployment ${adopted.id} (started ${adopted.createdAt}, after --since)`);
    } else {
      run.deploymentId = await context.api.deployServiceInstance(run.serviceId, context.environmentId);
      context.progress(`${label}: started deployment ${run.deploymentId}`);
    }
    const outcome = await waitForDeployment(context, run.name, run.deploymentId, started, '');
    run.durationMs = Date.now() - started;
    if (outcome.kind === 'timeout') {
      run.result = 'timed-out';
      run.detail = `no result within ${seconds(context.timeoutMs)} (last status ${outcome.status})`;
      // It never went live; stop it so it cannot go live after we gave up.
      try {
        await context.api.cancelDeployment(run.deploymentId);
        run.detail += '; cancelled it, the previous deployment keeps serving';
      } catch (error) {
        run.detail += `; cancelling it failed: ${error instanceof Error ? error.message : String(error)}`;
      }
      return;
    }
    if (outcome.kind === 'failed') {
      run.result = outcome.result;
      // A crashed deployment had gone live; a failed or removed one never did, and Railway keeps the previous one serving.
      run.live = outcome.status === 'CRASHED';
      run.detail =
        outcome.status === 'CRASHED'
          ? 'deployment CRASHED after going live'
          : outcome.status === 'FAILED'
            ? 'deployment FAILED; Railway keeps the previous deployment serving'
            : `deployment ${outcome.status} before it finished (cancelled, or replaced by a newer deployment); the previous deployment keeps serving`;
      return;
    }
    run.live = true;
    if (run.healthUrl === undefined) {
      run.result = 'deployed';
      run.detail = run.healthNote;
      return;
    }
    const health = await checkHealth(context, run.name, run.healthUrl);
    run.durationMs = Date.now() - started;
    if (health.ok) {
      run.result = 'deployed';
      run.detail = `healthy: ${run.healthUrl} answered ${describeCheck(health)} in ${health.latencyMs} ms`;
    } else {
      run.result = 'unhealthy';
      run.detail = `health check failed for ${seconds(context.healthWindowMs)}: ${run.healthUrl} ${health.httpStatus !== undefined ? 'answered ' : ''}${describeCheck(health)}`;
    }
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    run.durationMs = Date.now() - started;
    run.result = 'api-error';
    run.detail = error.message;
  }
}

/** Retries the public health URL until it answers 2xx or the health window passes. */
async function checkHealth(context: Context, service: string, url: string): Promise<CheckResult> {
  const requested = mappedUrl(url, context.originMap);
  const start = Date.now();
  let attempt = 0;
  for (;;) {
    attempt++;
    const result = await checkUrl(requested, context.healthTimeoutMs);
    if (result.ok || Date.now() - start >= context.healthWindowMs) {
      context.progress(`${context.environment.name}: ${service} health ${result.ok ? 'ok' : 'FAILING'}: ${url} ${describeCheck(result)} (attempt ${attempt})`);
      return result;
    }
    await sleep(Math.min(context.pollMs, Math.max(0, context.healthWindowMs - (Date.now() - start))));
  }
}

/** How a service's health is judged, for the report. */
export function healthNote(name: string, healthUrl: string | undefined, uncheckable: string | undefined, plan: RailwayEnvironmentPlan): string {
  if (healthUrl !== undefined) return `public: checked at ${healthUrl}`;
  if (uncheckable !== undefined) return `public, but not checkable from outside (${uncheckable}): judged by Railway's deployment status only`;
  const resource = plan.resources.find((candidate) => candidate.name === name);
  if (resource === undefined || resource.kind !== 'service') return 'Railway database: judged by Railway\'s deployment status only';
  return resource.healthcheck !== undefined
    ? `private: judged by Railway's deployment status only (Railway gated it on ${resource.healthcheck})`
    : 'private: judged by Railway\'s deployment status only (Railway deploys it without a health gate, so SUCCESS means the container started)';
}
