import { SpecError, type StackEnvironment } from '../../constructs/index.ts';
import { emptyOutput, type RenderedOutput } from '../rendered-output.ts';
import { toJson } from '../serialize.ts';
import { planRailwayEnvironment } from './railway-plan.ts';
import { railwayDefinition, railwayGraph } from './railway-sdk.ts';
import { railwaySource } from './railway-source.ts';

export { planRailwayEnvironment, type RailwayEnvironmentPlan } from './railway-plan.ts';
export { EMBEDDED_REFERENCE, railwayDefinition, railwayGraph, SELF_REFERENCE } from './railway-sdk.ts';
export { railwaySource } from './railway-source.ts';

/** Where Railway's CLI looks for the infrastructure-as-code file. */
export const RAILWAY_SOURCE_PATH = '.railway/railway.ts';

/** Path of an environment's resolved Railway graph, for review. */
export function railwayGraphPath(environmentName: string): string {
  return `dist/railway/${environmentName}.json`;
}

/**
 * Renders every Railway environment: .railway/railway.ts (one file, one function per
 * environment) and dist/railway/<env>.json (the graph the SDK builds for that environment). The
 * services placed off Railway are the off-Railway target's.
 */
export function renderRailway(environments: readonly StackEnvironment[]): RenderedOutput {
  const output = emptyOutput();
  const railwayEnvironments = environments.filter((environment) => environment.renders('railway'));
  if (railwayEnvironments.length === 0) return output;
  checkOneProject(railwayEnvironments);
  const plans = railwayEnvironments.map((environment) => planRailwayEnvironment(environment));
  const names = plans.map((plan) => plan.environment);
  for (const plan of plans) {
    const graph = railwayGraph(railwayDefinition(plan, names), plan.environment);
    output.files.set(railwayGraphPath(plan.environment), toJson(graph));
    output.warnings.push(...plan.warnings.map((message) => ({ environment: plan.environment, message })));
  }
  output.files.set(RAILWAY_SOURCE_PATH, railwaySource(plans));
  return output;
}

/** One .railway/railway.ts describes one Railway project. */
function checkOneProject(environments: readonly StackEnvironment[]): void {
  const [first, ...rest] = environments;
  for (const environment of rest) {
    if (environment.settings.railway?.project !== first?.settings.railway?.project) {
      throw new SpecError(
        { environment: environment.name, field: 'railway.project' },
        `all Railway environments share one project (one .railway/railway.ts), but this one names "${environment.settings.railway?.project}" and "${first?.name}" names "${first?.settings.railway?.project}"`,
      );
    }
  }
}
