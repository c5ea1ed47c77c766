import type { StackEnvironment } from '../../constructs/index.ts';
import { composeTarget } from '../compose/compose-target.ts';
import { kubernetesTarget } from '../kubernetes/kubernetes-target.ts';
import { offRailwayTarget } from '../off-railway/off-railway-target.ts';
import { railwayTarget } from '../railway/railway-target.ts';
import type { DeployTarget } from './deploy-target.ts';

export * from './deploy-target.ts';

/**
 * Every target, in the order synth renders them and the review page lists where a service runs.
 * A new target is one module implementing DeployTarget, added here.
 */
export const TARGETS: readonly DeployTarget[] = [kubernetesTarget, railwayTarget, offRailwayTarget, composeTarget];

/** The targets that render something for an environment. */
export function targetsOf(environment: StackEnvironment): DeployTarget[] {
  return TARGETS.filter((target) => target.renders(environment));
}
