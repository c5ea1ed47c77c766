import type { ServiceData, StackService } from '../constructs/index.ts';

/**
 * How one target treats one field of the service model:
 * - `rendered`: the target writes it as declared;
 * - `not-needed`: the target writes nothing for it and loses nothing (each use says why);
 * - a rule: what this service loses of the field there, or undefined when it loses nothing.
 */
export type FieldRule = 'rendered' | 'not-needed' | ((service: StackService) => FieldLoss | undefined);

/** What a target cannot express of one service's field. */
export interface FieldLoss {
  /** The declared value, short: `1000:1000`, `"rolling"`. */
  readonly value: string;
  /** What the target does instead, the same for every service it applies to (warnings are grouped by it). */
  readonly problem: string;
  /**
   * `error` where running without the field would be unsafe or cannot work: synth stops, names
   * the environment, service and field, and writes nothing. @default 'warning'
   */
  readonly severity?: 'warning' | 'error';
  /** The sub-field an error names, e.g. `ports[0]`. @default - the field */
  readonly path?: string;
}

/**
 * Every field of the service model with the way one target treats it. The mapped type has every
 * key of `ServiceData`, so a field added to the model does not compile until each target says
 * what it does with it: nothing a target drops goes unsaid.
 */
export type TargetFields = { readonly [Field in keyof ServiceData]-?: FieldRule };

/**
 * Applies a target's table to the services it renders. A loss marked `error` throws a located
 * SpecError; the others become warnings, one per field and problem, naming every service it
 * applies to with its value, e.g.
 * `railway: field "runAs" of "frontend", "mcp-server" (1000:1000): Railway has no setting …`.
 */
export function fieldWarnings(target: string, fields: TargetFields, services: readonly StackService[]): string[] {
  const warnings: string[] = [];
  for (const field of Object.keys(fields) as Array<keyof ServiceData>) {
    const rule = fields[field];
    if (typeof rule !== 'function') continue;
    // problem → value → service names, in first-seen order.
    const byProblem = new Map<string, Map<string, string[]>>();
    for (const service of services) {
      const loss = rule(service);
      if (loss === undefined) continue;
      if (loss.severity === 'error') service.fail(loss.path ?? field, loss.problem);
      const byValue = byProblem.get(loss.problem) ?? new Map<string, string[]>();
      byValue.set(loss.value, [...(byValue.get(loss.value) ?? []), `"${service.name}"`]);
      byProblem.set(loss.problem, byValue);
    }
    for (const [problem, byValue] of byProblem) {
      const of = [...byValue].map(([value, names]) => `${names.join(', ')} (${value})`).join('; ');
      warnings.push(`${target}: field "${field}" of ${of}: ${problem}`);
    }
  }
  return warnings;
}
