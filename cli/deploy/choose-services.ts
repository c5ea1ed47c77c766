import { offRailwayHost } from '../../charts/off-railway/index.ts';
import type { RailwayEnvironmentPlan } from '../../charts/railway/index.ts';
import type { StackEnvironment } from '../../constructs/index.ts';
import { CliError } from '../cli-error.ts';
import type { DeployOptions, PlanDeployFunction } from './deploy-types.ts';

// Which services a run deploys: named with --services, or what the plan says changed on Railway.

export function splitServices(list: readonly string[]): string[] {
  const names = list.flatMap((entry) => entry.split(',')).map((name) => name.trim()).filter((name) => name !== '');
  if (names.length === 0) throw new CliError('--services needs at least one service name');
  return [...new Set(names)];
}

/** A name that is neither a Railway resource nor a service placed off Railway. */
export function checkRailwayService(name: string, environment: StackEnvironment, plan: RailwayEnvironmentPlan): void {
  if (plan.resources.some((resource) => resource.name === name)) return;
  if (plan.offRailway.some((service) => service.name === name)) {
    throw new CliError(`"${name}" runs off Railway in ${environment.name} (on ${offRailwayHost(environment)}), so Railway cannot roll it back`);
  }
  throw new CliError(
    `environment "${environment.name}" has no Railway service "${name}" (it has ${[...plan.resources.map((resource) => resource.name), ...plan.offRailway.map((service) => `${service.name} (off Railway)`)].join(', ')})`,
  );
}

/** The services `planDeploy` says must redeploy on Railway in this environment, dependencies first. */
export async function plannedServices(options: DeployOptions, environment: StackEnvironment, progress: (line: string) => void): Promise<string[]> {
  const planDeploy = options.planDeploy ?? (await loadPlanDeploy(options.planModule ?? new URL('./plan/plan.ts', import.meta.url).href));
  const ref = options.planFrom as string;
  progress(`${environment.name}: planning against ${ref}…`);
  const plan = await planDeploy(ref, { log: progress });
  const environmentPlan = plan.environments.find((candidate) => candidate.environment === environment.name);
  if (environmentPlan === undefined) return [];
  const changes = environmentPlan.changes.filter((change) => change.targets.includes('railway'));
  for (const change of changes) progress(`${environment.name}: ${change.service} changed: ${change.reasons.join('; ') || 'rendering changed'}`);
  return changes.map((change) => change.service);
}

async function loadPlanDeploy(moduleUrl: string): Promise<PlanDeployFunction> {
  let module: { planDeploy?: unknown };
  try {
    module = (await import(moduleUrl)) as { planDeploy?: unknown };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new CliError(`--plan-from needs the plan command (${moduleUrl} cannot be loaded: ${firstLine(error)}); name the services with --services a,b instead`);
    }
    throw error;
  }
  if (typeof module.planDeploy !== 'function') throw new CliError(`${moduleUrl} does not export planDeploy(baseRef); name the services with --services a,b instead`);
  return module.planDeploy as PlanDeployFunction;
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0] ?? '';
}
