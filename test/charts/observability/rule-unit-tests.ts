/**
 * promtool rule unit tests written as data: a scenario gives the series Prometheus would have
 * scraped, minute by minute, and what one alert must show at one instant. Expected annotations
 * come from the rule's own templates, filled in with the expected labels and the value as
 * Prometheus formats it, so a template that renders differently fails the test.
 */
import type { AlertingRule, RuleGroup } from '../../../charts/observability/index.ts';
import { promtool, toYaml, writeFiles, type PromtoolRun } from './promtool.ts';

/** A value at one minute: a number, `_` for no sample, `stale` for the marker a vanished series gets. */
export type Sample = number | '_' | 'stale';

/** Runs of samples, one a minute: `[[0, 10], ['stale', 1]]` is ten zeros, then a staleness marker. */
export function minutes(...runs: readonly (readonly [Sample, number])[]): string {
  return runs.flatMap(([value, count]) => Array.from({ length: count }, () => String(value))).join(' ');
}

/** A counter from `start`, growing by `perMinute` each minute, for `count` samples. */
export function counter(perMinute: number, count: number, start = 0): string {
  return Array.from({ length: count }, (_, minute) => String(start + perMinute * minute)).join(' ');
}

export interface Series {
  /** `name{label="value", …}` */
  readonly series: string;
  readonly values: string;
}

export interface Firing {
  /** The alert's labels beyond its static ones: what the expression carries. */
  readonly labels: Record<string, string>;
  /** `$value` as the templates print it (humanizeDuration, printf, …). */
  readonly value: string;
}

export interface Scenario {
  readonly name: string;
  readonly series: readonly Series[];
  /** Minutes from the first sample. */
  readonly atMinute: number;
  /** The alerts firing then, none when empty. */
  readonly firing: readonly Firing[];
}

/** Every `{{ … }}` of the rule's annotations filled in as Prometheus renders them for this alert. */
function expectedAnnotations(rule: AlertingRule, labels: Record<string, string>, value: string): Record<string, string> {
  const fill = (text: string) =>
    text.replace(/{{ ([^}]+) }}/g, (template, inner: string) => {
      const label = /^\$labels\.(\w+)$/.exec(inner);
      if (label !== null) {
        const labelValue = labels[label[1]!];
        if (labelValue === undefined) throw new Error(`${rule.alert}: the template ${template} needs the label ${label[1]}, which the scenario does not expect`);
        return labelValue;
      }
      if (inner.startsWith('$value')) return value;
      throw new Error(`${rule.alert}: no expected text for the template ${template}`);
    });
  return Object.fromEntries(Object.entries(rule.annotations).map(([key, text]) => [key, fill(text)]));
}

/** The promtool unit-test file for one alert's scenarios, each scenario a test of its own. */
export function unitTestFile(rule: AlertingRule, scenarios: readonly Scenario[], rulesFile: string): unknown {
  return {
    rule_files: [rulesFile],
    evaluation_interval: '1m',
    tests: scenarios.map((scenario) => ({
      name: scenario.name,
      interval: '1m',
      input_series: scenario.series,
      alert_rule_test: [
        {
          eval_time: `${scenario.atMinute}m`,
          alertname: rule.alert,
          exp_alerts: scenario.firing.map((firing) => {
            // Static labels first, as Prometheus adds them over the expression's.
            const labels = { ...firing.labels, ...rule.labels };
            return { exp_labels: labels, exp_annotations: expectedAnnotations(rule, labels, firing.value) };
          }),
        },
      ],
    })),
  };
}

/** Writes the rules and the unit tests of one alert and runs `promtool test rules` on them. */
export function runUnitTests(groups: readonly RuleGroup[], alert: string, scenarios: readonly Scenario[]): PromtoolRun {
  const rule = groups.flatMap((group) => group.rules).find((candidate) => candidate.alert === alert);
  if (rule === undefined) throw new Error(`no rule ${alert} in the groups`);
  const directory = writeFiles({ 'rules.yml': toYaml({ groups }), 'tests.yml': toYaml(unitTestFile(rule, scenarios, 'rules.yml')) });
  return promtool(['test', 'rules', 'tests.yml'], directory);
}
