import type { RenderedUnit } from './rendered-units.ts';

/**
 * What a rendered unit's content is: Kubernetes objects keyed `Kind/name`, one Compose service
 * entry, or one Railway resource. The target alone does not say it: the services a Railway
 * environment runs off Railway are Railway's units, rendered as Compose services for the media host.
 */
export type UnitLayout = 'kubernetes' | 'compose' | 'railway';

export function unitLayout(unit: Pick<RenderedUnit, 'target' | 'content'>): UnitLayout {
  if (unit.target === 'kubernetes') return 'kubernetes';
  // Every resource of the Railway graph has an address (`service.x`, `database.y`); a Compose service has no such key.
  return typeof (unit.content as { address?: unknown } | null)?.address === 'string' ? 'railway' : 'compose';
}

/** The Kubernetes kinds that run a service's pods (from their pod template). */
export const WORKLOAD_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** Unit contents have sorted keys, so equal JSON means equal meaning. */
export function sameContent(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
