import { createTwoFilesPatch } from 'diff';
import { CliError } from './cli-error.ts';
import { unknownEnvironment } from './environment-by-name.ts';
import { stringify } from 'yaml';
import { compareWith, type Comparison, type PlanOptions } from './plan/plan.ts';
import { renderedUnits, type RenderedUnit } from './plan/rendered-units.ts';

export interface DiffOptions extends PlanOptions {
  /** Only this environment. @default - all */
  readonly environment?: string;
  /** Only this service. @default - all */
  readonly service?: string;
}

/** A unit as reviewers read it: YAML with sorted keys. */
function text(unit: RenderedUnit | undefined): string {
  return unit === undefined ? '' : stringify(unit.content, { lineWidth: 0, sortMapEntries: true });
}

/** A service that no unit of the environments compared renders, before or after, is a typo: say which there are. */
function checkService(service: string, environments: readonly string[], comparison: Comparison): void {
  const units = environments.flatMap((environment) => [...renderedUnits(comparison.base, environment), ...renderedUnits(comparison.head, environment)]);
  const known = [...new Set(units.map((unit) => unit.service))].sort();
  if (known.includes(service)) return;
  const where = environments.length === 1 ? `environment "${environments[0]}" renders` : 'the environments render';
  throw new CliError(`unknown service "${service}": ${where} ${known.map((name) => `"${name}"`).join(', ')}`);
}

/**
 * The rendered difference between a base ref and the working tree, per environment, service and
 * target, as unified diffs: what a reviewer needs to see of a Renovate bump. Returns the text and
 * how many units changed.
 */
export async function renderedDiff(baseRef: string, options: DiffOptions = {}): Promise<{ text: string; changed: number }> {
  const comparison = await compareWith(baseRef, options);
  const names = comparison.environments.map((environment) => environment.name);
  if (options.environment !== undefined && !names.includes(options.environment)) {
    throw unknownEnvironment(options.environment, names);
  }
  const environments = names.filter((name) => options.environment === undefined || name === options.environment);
  if (options.service !== undefined) checkService(options.service, environments, comparison);
  const parts: string[] = [];
  for (const environment of environments) {
    const key = (unit: RenderedUnit) => `${unit.service}\0${unit.target}`;
    const before = new Map(renderedUnits(comparison.base, environment).map((unit) => [key(unit), unit]));
    const after = new Map(renderedUnits(comparison.head, environment).map((unit) => [key(unit), unit]));
    for (const id of [...new Set([...before.keys(), ...after.keys()])].sort()) {
      const was = before.get(id);
      const now = after.get(id);
      const unit = (now ?? was)!;
      if (options.service !== undefined && unit.service !== options.service) continue;
      const [oldText, newText] = [text(was), text(now)];
      if (oldText === newText) continue;
      const label = `${environment}/${unit.service} (${unit.target})`;
      parts.push(createTwoFilesPatch(`a/${label}`, `b/${label}`, oldText, newText, comparison.baseCommit?.slice(0, 12) ?? 'nothing', 'working tree', { context: 3 }));
    }
  }
  return { text: parts.join('\n'), changed: parts.length };
}
