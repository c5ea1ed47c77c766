import { CliError } from '../cli-error.ts';
import { sleep, type Deployment } from '../railway/railway-api.ts';
import type { DeployReport, DeployServiceReport, RollbackReport } from './deploy-types.ts';
import { listDeployments, seconds, SUCCEEDED, type Context } from './railway-context.ts';
import { waitForDeployment } from './wait-for-deployment.ts';

// Rolling back: after a failed deploy, service by service, or one service by hand.

/**
 * The deployment serving before this run: the newest SUCCESS one (created before `since`, when
 * given). When a deployment started by `railway config apply` already replaced it, Railway has
 * marked it REMOVED; then the newest REMOVED one Railway can still roll back to.
 */
export function rollbackTarget(deployments: readonly Deployment[], sinceMs?: number): Deployment | undefined {
  const before = sinceMs === undefined ? deployments : deployments.filter((deployment) => Date.parse(deployment.createdAt) < sinceMs);
  return before.find((deployment) => SUCCEEDED.has(deployment.status)) ?? before.find((deployment) => deployment.status === 'REMOVED' && deployment.canRollback);
}

/**
 * Rolls a service back to `target` with `deploymentRollback` and waits until the deployment the
 * rollback creates succeeds (or, should Railway restore the old deployment in place, until that
 * one reports SUCCESS again). Never throws for Railway failures: they are the report.
 */
export async function rollbackService(context: Context, name: string, serviceId: string, target: Deployment | undefined): Promise<RollbackReport> {
  const started = Date.now();
  if (target === undefined) {
    return { to: null, deploymentId: null, ok: false, detail: `${name} had no earlier successful deployment to roll back to` };
  }
  try {
    const current = await context.api.deployment(target.id);
    if (!current.canRollback) {
      return { to: target.id, deploymentId: null, ok: false, detail: `Railway cannot roll back to deployment ${target.id} (canRollback is false: its image may have expired)` };
    }
    const before = new Set((await listDeployments(context, { serviceId })).map((deployment) => deployment.id));
    context.progress(`${context.environment.name}: ${name} rolling back to deployment ${target.id}`);
    if (!(await context.api.rollbackDeployment(target.id))) {
      return { to: target.id, deploymentId: null, ok: false, detail: `Railway refused to roll back to deployment ${target.id}` };
    }
    for (;;) {
      const deployments = await listDeployments(context, { serviceId });
      const created = deployments.find((deployment) => !before.has(deployment.id));
      if (created !== undefined) {
        const outcome = await waitForDeployment(context, name, created.id, started, 'rolling back');
        if (outcome.kind === 'success') {
          return { to: target.id, deploymentId: created.id, ok: true, detail: `back on deployment ${target.id} (rollback deployment ${created.id})` };
        }
        const status = outcome.kind === 'failed' ? outcome.status : `no result within ${seconds(context.timeoutMs)}`;
        return { to: target.id, deploymentId: created.id, ok: false, detail: `rollback deployment ${created.id} ${outcome.kind === 'failed' ? status : `gave ${status}`}` };
      }
      const restored = deployments.find((deployment) => deployment.id === target.id) ?? (await context.api.deployment(target.id));
      if (SUCCEEDED.has(restored.status)) {
        return { to: target.id, deploymentId: null, ok: true, detail: `deployment ${target.id} serves again` };
      }
      if (Date.now() - started >= context.timeoutMs) {
        return { to: target.id, deploymentId: null, ok: false, detail: `no rollback deployment appeared within ${seconds(context.timeoutMs)}` };
      }
      await sleep(context.pollMs);
    }
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return { to: target.id, deploymentId: null, ok: false, detail: error.message };
  }
}

/** `--rollback <service>`: back to the deployment that served before the current one. */
export async function manualRollback(context: Context, name: string, serviceId: string): Promise<DeployReport> {
  const environmentName = context.environment.name;
  const deployments = await listDeployments(context, { serviceId });
  const current = deployments.find((deployment) => SUCCEEDED.has(deployment.status));
  if (current === undefined) {
    throw new CliError(`${name} has no successful deployment in ${environmentName} to roll back from`);
  }
  const currentAt = Date.parse(current.createdAt);
  const target = deployments.find(
    (deployment) => Date.parse(deployment.createdAt) < currentAt && (deployment.status === 'REMOVED' || SUCCEEDED.has(deployment.status)) && deployment.canRollback,
  );
  if (target === undefined) {
    throw new CliError(`${name} has no earlier deployment in ${environmentName} that Railway can roll back to (looked at the last ${deployments.length})`);
  }
  context.progress(`${environmentName}: rolling ${name} back from deployment ${current.id} to ${target.id}`);
  const started = Date.now();
  const rollback = await rollbackService(context, name, serviceId, target);
  const service: DeployServiceReport = {
    service: name,
    result: rollback.ok ? 'rolled-back' : 'rollback-failed',
    deploymentId: current.id,
    durationSeconds: Math.round((Date.now() - started) / 100) / 10,
    detail: `was serving deployment ${current.id}`,
    rollback,
  };
  const message = rollback.ok
    ? `rolled ${name} back to deployment ${target.id} in ${environmentName}`
    : `rollback of ${name} in ${environmentName} FAILED (${rollback.detail}); ${needsHuman(name, target.id)}`;
  return { environment: environmentName, mode: 'rollback', ok: rollback.ok, exitCode: rollback.ok ? 0 : 3, message, failedAt: rollback.ok ? null : name, services: [service] };
}

/** What the report tells a person to do about a service whose rollback failed. */
export function needsHuman(service: string, target: string | null): string {
  return `${service} needs a human: roll it back${target !== null ? ` to deployment ${target}` : ''} in the Railway dashboard (${service} → Deployments → Rollback)`;
}
