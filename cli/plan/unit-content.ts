import type { RenderedUnit } from './rendered-units.ts';

/** What a rendered unit's content is, as the target that read it back says. */
export type UnitLayout = RenderedUnit['format'];

/** The Kubernetes kinds that run a service's pods (from their pod template). */
export const WORKLOAD_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** Unit contents have sorted keys, so equal JSON means equal meaning. */
export function sameContent(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
