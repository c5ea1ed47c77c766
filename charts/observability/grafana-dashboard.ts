/**
 * The part of Grafana's dashboard JSON model (the "classic" model that file provisioning and a
 * ConfigMap sidecar load) that our dashboards use, typed here: @grafana/schema is not a
 * dependency of this repository, and these few fields do not justify one.
 */

/**
 * The classic model's last schema version: Grafana's backend migrations say 42 is "the final
 * version for the v1 dashboard API" (apps/dashboard/pkg/migration/schemaversion/README.md), so a
 * dashboard at 42 loads without migration on current Grafana.
 */
export const GRAFANA_SCHEMA_VERSION = 42;

/** Every panel and annotation queries the Prometheus that the `datasource` variable picks. */
export interface DataSourceRef {
  readonly type: 'prometheus';
  readonly uid: '${datasource}';
}

export interface PrometheusTarget {
  readonly refId: string;
  readonly expr: string;
  readonly legendFormat: string;
  readonly datasource: DataSourceRef;
  /** A table of the latest values instead of a series over time. */
  readonly instant?: boolean;
  readonly format?: 'time_series' | 'table';
}

export interface GridPos {
  readonly x: number;
  readonly y: number;
  /** In Grafana's 24 columns. */
  readonly w: number;
  readonly h: number;
}

export interface Threshold {
  readonly color: string;
  /** null: the base colour, below the first step. */
  readonly value: number | null;
}

export interface FieldConfig {
  readonly defaults: {
    /** Grafana's unit ids: `s`, `µs`, `reqps`, `percentunit`, `short`. */
    readonly unit?: string;
    readonly min?: number;
    readonly max?: number;
    readonly thresholds?: { readonly mode: 'absolute'; readonly steps: readonly Threshold[] };
    readonly custom?: { readonly thresholdsStyle?: { readonly mode: 'off' | 'line' | 'dashed' } };
  };
  readonly overrides: readonly never[];
}

export interface Panel {
  readonly id: number;
  readonly type: 'timeseries' | 'table' | 'stat';
  readonly title: string;
  readonly description: string;
  readonly gridPos: GridPos;
  readonly datasource: DataSourceRef;
  readonly targets: readonly PrometheusTarget[];
  readonly fieldConfig: FieldConfig;
}

/** The data source picker at the top of the dashboard. */
export interface DataSourceVariable {
  readonly name: 'datasource';
  readonly label: string;
  readonly type: 'datasource';
  readonly query: 'prometheus';
  readonly current: Record<string, never>;
  readonly hide: 0;
  readonly refresh: 1;
  readonly regex: '';
}

/** Events from a Prometheus query, drawn as a vertical line on every time series panel. */
export interface PrometheusAnnotation {
  readonly name: string;
  readonly datasource: DataSourceRef;
  readonly enable: true;
  readonly iconColor: string;
  readonly expr: string;
  /** Grafana evaluates `expr` every `step`; an event shorter than it may be missed. */
  readonly step: string;
  readonly titleFormat: string;
  readonly textFormat: string;
  readonly tagKeys: string;
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly schemaVersion: typeof GRAFANA_SCHEMA_VERSION;
  readonly version: 1;
  readonly editable: boolean;
  /** 1: the crosshair follows the pointer on every panel. */
  readonly graphTooltip: 1;
  readonly timezone: 'browser';
  readonly time: { readonly from: string; readonly to: string };
  readonly refresh: string;
  readonly templating: { readonly list: readonly DataSourceVariable[] };
  readonly annotations: { readonly list: readonly PrometheusAnnotation[] };
  readonly panels: readonly Panel[];
}

export const PROMETHEUS_DATASOURCE: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };
