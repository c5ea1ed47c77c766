/**
 * Prometheus rule groups as plain data, the shape of a rules file's `groups` (and of a
 * PrometheusRule's `spec.groups`): each renderer writes them as its target wants.
 */

/** A Prometheus duration as the rules use them: `30s`, `5m`, `6h`. */
export type PrometheusDuration = `${number}${'s' | 'm' | 'h'}`;

/** critical: users are failing now, someone acts now. warning: look at it today. */
export type Severity = 'critical' | 'warning';

export interface AlertingRule {
  /** UpperCamelCase, the name Alertmanager routes and silences by. */
  readonly alert: string;
  readonly expr: string;
  /** How long `expr` must hold before the alert fires (`0m`: at once). */
  readonly for: PrometheusDuration;
  readonly labels: {
    readonly severity: Severity;
    /** The stack service the alert is about, where the expression does not carry it. */
    readonly service?: string;
  };
  readonly annotations: {
    /** One line, with the numbers that matter. */
    readonly summary: string;
    /** What is happening and what it does to the users. */
    readonly description: string;
    /** What to look at and do first. */
    readonly runbook: string;
  };
}

/** A series Prometheus computes and stores under a name of its own. */
export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertingRule[];
}

/** A group of recording rules: kept apart from the alerts, whose tests read them by alert name. */
export interface RecordingRuleGroup {
  readonly name: string;
  readonly rules: readonly RecordingRule[];
}
