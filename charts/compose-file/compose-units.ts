import { parse as parseYaml } from 'yaml';
import { sortKeys } from '../serialize.ts';
import type { RenderedUnit } from '../targets/deploy-target.ts';

/** Each entry under a rendered Compose file's `services`, as a unit of `target`. */
export function composeUnits(file: string, text: string, environment: string, target: RenderedUnit['target']): RenderedUnit[] {
  const parsed = parseYaml(text) as { services?: Record<string, unknown> } | null;
  return Object.entries(parsed?.services ?? {}).map(([service, content]) => ({ environment, service, target, format: 'compose', file, content: sortKeys(content) }));
}
