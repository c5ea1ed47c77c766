import { parse as parseYaml } from 'yaml';
import { sortKeys } from '../serialize.ts';
import type { RenderedUnit } from '../targets/deploy-target.ts';

/**
 * Each service of the stack under a rendered Compose file's `services`, as a unit of `target`:
 * the entries that carry their construct path. The tooling a profile adds around the stack (the
 * observability profile's Prometheus and Grafana) is no service of the model.
 */
export function composeUnits(file: string, text: string, environment: string, target: RenderedUnit['target']): RenderedUnit[] {
  const parsed = parseYaml(text) as { services?: Record<string, { 'x-voice-agent'?: { construct?: unknown } }> } | null;
  return Object.entries(parsed?.services ?? {})
    .filter(([, content]) => typeof content?.['x-voice-agent']?.construct === 'string')
    .map(([service, content]) => ({ environment, service, target, format: 'compose', file, content: sortKeys(content) }));
}
