import { sleep, type Deployment, type DeploymentStatus } from '../railway/railway-api.ts';
import type { ServiceResult } from './deploy-types.ts';
import { listDeployments, SUCCEEDED, type Context } from './railway-context.ts';

// Waiting on Railway: for a deployment to finish, or for one a push already started to appear.

const FAILED_STATUS: Partial<Record<DeploymentStatus, ServiceResult>> = {
  FAILED: 'failed',
  CRASHED: 'crashed',
  REMOVED: 'removed',
  REMOVING: 'removed',
  SKIPPED: 'removed',
};

const VERBS: Record<DeploymentStatus, string> = {
  QUEUED: 'queued',
  WAITING: 'queued',
  INITIALIZING: 'initializing',
  BUILDING: 'building',
  DEPLOYING: 'deploying',
  NEEDS_APPROVAL: 'waiting for approval in Railway',
  SUCCESS: 'deployed',
  SLEEPING: 'deployed (sleeping)',
  FAILED: 'failed',
  CRASHED: 'crashed',
  REMOVED: 'removed',
  REMOVING: 'being removed',
  SKIPPED: 'skipped',
};

export type WaitOutcome =
  | { kind: 'success'; deployment: Deployment }
  | { kind: 'failed'; status: DeploymentStatus; result: ServiceResult }
  | { kind: 'timeout'; status: DeploymentStatus | 'unknown' };

/** Polls one deployment with backoff until it succeeds, fails or the timeout passes; prints progress lines. */
export async function waitForDeployment(context: Context, service: string, id: string, started: number, action: string): Promise<WaitOutcome> {
  const waitStart = Date.now();
  const cap = Math.max(context.pollMs, Math.min(30_000, context.pollMs * 6));
  let interval = context.pollMs;
  let lastStatus: DeploymentStatus | 'unknown' = 'unknown';
  let lastPrinted = 0;
  for (;;) {
    const deployment = await context.api.deployment(id);
    const now = Date.now();
    if (deployment.status !== lastStatus || now - lastPrinted >= 15_000) {
      const inProgress = !SUCCEEDED.has(deployment.status) && FAILED_STATUS[deployment.status] === undefined;
      const verb = action === '' ? VERBS[deployment.status] : `${action}: ${VERBS[deployment.status]}`;
      context.progress(`${context.environment.name}: ${service} ${verb}${inProgress ? '…' : ''} (${Math.round((now - started) / 1000)} s)`);
      lastPrinted = now;
    }
    lastStatus = deployment.status;
    if (SUCCEEDED.has(deployment.status)) return { kind: 'success', deployment };
    const failed = FAILED_STATUS[deployment.status];
    if (failed !== undefined) return { kind: 'failed', status: deployment.status, result: failed };
    const remaining = context.timeoutMs - (now - waitStart);
    if (remaining <= 0) return { kind: 'timeout', status: lastStatus };
    await sleep(Math.min(interval, remaining));
    interval = Math.min(cap, interval * 1.5);
  }
}

/** With `--since`: the newest deployment of the service created since then, waiting up to the adopt window for one to appear. */
export async function adoptDeployment(context: Context, run: { readonly name: string; readonly serviceId: string }, started: number): Promise<Deployment | undefined> {
  const since = context.sinceMs as number;
  for (;;) {
    const fresh = (await listDeployments(context, run)).find((deployment) => Date.parse(deployment.createdAt) >= since);
    if (fresh !== undefined) return fresh;
    if (Date.now() - started >= context.adoptWaitMs) {
      context.progress(`${context.environment.name}: ${run.name}: no deployment since ${new Date(since).toISOString()}, starting one`);
      return undefined;
    }
    await sleep(Math.min(context.pollMs, context.adoptWaitMs));
  }
}
