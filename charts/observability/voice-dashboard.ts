import {
  GRAFANA_SCHEMA_VERSION,
  PROMETHEUS_DATASOURCE,
  type Dashboard,
  type FieldConfig,
  type Panel,
  type PrometheusAnnotation,
  type PrometheusTarget,
} from './grafana-dashboard.ts';
import { COMPONENT_VERSION_METRIC } from './component-versions.ts';
import { JICOFO, JVB } from './jitsi-metrics.ts';
import { TEN } from './ten-metrics.ts';
import { buildInfoSelector, type ObservedService } from './observed-services.ts';
import { DEFAULT_ADDED_LATENCY_TARGET_SECONDS, DEFAULT_AUDIT_MAX_LAG_SECONDS, DEFAULT_VIDEOBRIDGE_STRESS_THRESHOLD } from './thresholds.ts';

export interface VoiceDashboardProps {
  /** The environment's observed services (see observedServices()); queries of any other are left out, and a panel left with none. */
  readonly services: readonly ObservedService[];
  /**
   * Drawn as a line on the added-latency panel; the same target as the AgentAddedLatencyHigh alert.
   * @default 0.1 - the bridge benchmark's added p95 target
   */
  readonly addedLatencyTargetSeconds?: number;
  /**
   * Drawn as a line on the audit-backlog panel; the same limit as the McpAuditBacklogOld alert.
   * @default 30 - the MCP server's AUDIT_MAX_LAG_MS default
   */
  readonly auditMaxLagSeconds?: number;
  /**
   * Drawn as a line on the video-bridge stress panel; the same threshold as the VideobridgeStressHigh alert.
   * @default 0.8 - room to add a bridge before jvb cuts video at 1
   */
  readonly videobridgeStressThreshold?: number;
  /**
   * Whether the environment's rules record the pinned versions of TEN, Jitsi and the MCP SDK
   * (component-versions.ts): the versions table and the deploy annotations show them too.
   * @default false
   */
  readonly componentVersions?: boolean;
}

/** Stable across renders and environments: links and the provisioned copy keep pointing at it. */
export const VOICE_DASHBOARD_UID = 'voice-agent-voice-path';
export const VOICE_DASHBOARD_TITLE = 'Voice agent: voice path';

/** One query of a panel, kept only when its service is in the environment (always, without one). */
interface Query {
  readonly service?: ObservedService;
  readonly expr: string;
  readonly legend: string;
}

interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly type?: Panel['type'];
  readonly unit: string;
  /** Columns of 24. */
  readonly width: number;
  readonly queries: readonly Query[];
  /** A threshold drawn as a dashed line: where the matching alert fires. */
  readonly line?: { readonly value: number; readonly color: string };
}

const PANEL_HEIGHT = 8;
const GRID_COLUMNS = 24;
/** One rate window for every panel: plain PromQL, runnable as is outside Grafana (no $__rate_interval). */
const RATE = '5m';

/** The `quantile` of a histogram over all replicas, per `by` label when given. */
function quantileOf(quantile: number, histogram: string, by?: string): string {
  const labels = by === undefined ? 'le' : `${by}, le`;
  return `histogram_quantile(${quantile}, sum by (${labels}) (rate(${histogram}_bucket[${RATE}])))`;
}

function panelSpecs(props: Required<VoiceDashboardProps>): PanelSpec[] {
  const bridge = 'jitsi-agent-bridge';
  const mcp = 'mcp-server';
  const tenAgent = 'ten-agent';
  const versions = buildInfoSelector(props.services);
  // One table of every service's versions: the selector already holds only the services present.
  const versionQueries: Query[] = [
    ...(versions === undefined ? [] : [{ expr: `count by (service, version) (${versions})`, legend: '{{service}} {{version}}' }]),
    ...(props.componentVersions ? [{ expr: `group by (component, version) (${COMPONENT_VERSION_METRIC})`, legend: '{{component}} {{version}}' }] : []),
  ];
  return [
    {
      title: 'Sessions',
      description: 'Rooms the agent bridge holds by state, the participants in them, and the TEN sessions behind them.',
      unit: 'short',
      width: 12,
      queries: [
        { service: bridge, expr: 'sum by (state) (agent_bridge_rooms)', legend: 'rooms {{state}}' },
        { service: bridge, expr: 'sum(agent_bridge_participants)', legend: 'participants' },
        { service: bridge, expr: 'sum by (state) (agent_bridge_ten_sessions)', legend: 'TEN sessions {{state}}' },
      ],
    },
    {
      title: "Speech end to the agent's first audio",
      description: "From the end of a user's speech to the first audio of the agent's answer in the room: what a user feels as the agent's delay.",
      unit: 's',
      width: 12,
      queries: [
        { service: bridge, expr: quantileOf(0.5, 'agent_bridge_response_latency_seconds'), legend: 'p50' },
        { service: bridge, expr: quantileOf(0.95, 'agent_bridge_response_latency_seconds'), legend: 'p95' },
      ],
    },
    {
      title: 'Latency the bridge adds',
      description: 'What the bridge adds to the audio on its way to TEN and back into the room, p50 and p95 by direction; the line is the target the AgentAddedLatencyHigh alert uses.',
      unit: 's',
      width: 12,
      line: { value: props.addedLatencyTargetSeconds, color: 'red' },
      queries: [
        { service: bridge, expr: quantileOf(0.5, 'agent_bridge_added_latency_seconds', 'direction'), legend: 'p50 {{direction}}' },
        { service: bridge, expr: quantileOf(0.95, 'agent_bridge_added_latency_seconds', 'direction'), legend: 'p95 {{direction}}' },
      ],
    },
    {
      title: 'Audio frames',
      description: 'Frames the bridge passes to TEN and plays from TEN, and the frames it drops by direction (dropping means the replica falls behind).',
      unit: 'short',
      width: 12,
      queries: [
        { service: bridge, expr: `sum(rate(agent_bridge_frames_to_ten_total[${RATE}]))`, legend: 'to TEN /s' },
        { service: bridge, expr: `sum(rate(agent_bridge_frames_from_ten_total[${RATE}]))`, legend: 'from TEN /s' },
        { service: bridge, expr: `sum by (direction) (rate(agent_bridge_frames_dropped_total[${RATE}]))`, legend: 'dropped {{direction}} /s' },
      ],
    },
    {
      title: 'Tool calls by outcome',
      description: "The MCP server's tool calls per second, by outcome (ok, tool_error, timeout, invalid_arguments, not_connected, cancelled).",
      unit: 'reqps',
      width: 12,
      queries: [{ service: mcp, expr: `sum by (outcome) (rate(mcp_tool_calls_total[${RATE}]))`, legend: '{{outcome}}' }],
    },
    {
      title: 'Tool call latency',
      description: 'p50 and p95 of a tool call, the upstream workflow or action included.',
      unit: 's',
      width: 12,
      queries: [
        { service: mcp, expr: quantileOf(0.5, 'mcp_tool_call_duration_seconds'), legend: 'p50' },
        { service: mcp, expr: quantileOf(0.95, 'mcp_tool_call_duration_seconds'), legend: 'p95' },
        { service: mcp, expr: quantileOf(0.95, 'mcp_tool_call_duration_seconds', 'tool'), legend: 'p95 {{tool}}' },
      ],
    },
    {
      title: 'Errors',
      description: 'Failed tool calls, agent starts that failed (by outcome; a caller\'s own stop is not one), and the console\'s 5xx answers, per second.',
      unit: 'reqps',
      width: 12,
      queries: [
        { service: mcp, expr: `sum by (error_class) (rate(mcp_tool_errors_total[${RATE}]))`, legend: 'tool errors {{error_class}}' },
        { service: bridge, expr: `sum by (outcome) (rate(agent_bridge_room_starts_total{outcome!~"active|stopped"}[${RATE}]))`, legend: 'failed starts {{outcome}}' },
        { service: 'frontend', expr: `sum(rate(console_http_requests_total{status=~"5.."}[${RATE}]))`, legend: 'console 5xx' },
      ],
    },
    {
      title: 'Console',
      description: "Sign-ins and agent starts from the console by outcome, and the p95 of the console's requests.",
      unit: 'short',
      width: 12,
      queries: [
        { service: 'frontend', expr: `sum by (outcome) (rate(console_sign_ins_total[${RATE}]))`, legend: 'sign-ins {{outcome}} /s' },
        { service: 'frontend', expr: `sum by (outcome) (rate(console_agent_starts_total[${RATE}]))`, legend: 'agent starts {{outcome}} /s' },
        { service: 'frontend', expr: quantileOf(0.95, 'console_http_request_duration_seconds'), legend: 'request p95 (s)' },
      ],
    },
    {
      title: 'TEN extension callbacks',
      description:
        "How long TEN's extensions spend in a callback (on_cmd, on_data, on_audio_frame), p95 per extension, and how long a message waits in an extension thread's queue: a callback that blocks holds up the session's audio behind it. Microseconds, as TEN measures them.",
      unit: 'µs',
      width: 12,
      queries: [
        { service: tenAgent, expr: quantileOf(0.95, TEN.callbackDuration, 'extension_name'), legend: 'callback p95 {{extension_name}}' },
        { service: tenAgent, expr: quantileOf(0.95, TEN.queueWait, 'extension_group_name'), legend: 'queue wait p95 {{extension_group_name}}' },
      ],
    },
    {
      title: 'TEN commands',
      description: "From an extension's on_cmd to the command's final result, p95 per extension and command (mcp_client's tool calls among them). Microseconds, as TEN measures them.",
      unit: 'µs',
      width: 12,
      queries: [{ service: tenAgent, expr: quantileOf(0.95, TEN.commandDuration, 'extension_name, msg_name'), legend: 'p95 {{extension_name}} {{msg_name}}' }],
    },
    {
      title: 'Video bridge stress',
      description: "jvb's load over its own overload threshold, per bridge: at 1 it starts forwarding less video. The line is the VideobridgeStressHigh alert's threshold.",
      unit: 'percentunit',
      width: 12,
      line: { value: props.videobridgeStressThreshold, color: 'orange' },
      queries: [{ service: 'jitsi-jvb', expr: `max by (instance) (${JVB.stress})`, legend: '{{instance}}' }],
    },
    {
      title: 'Conferences and participants',
      description: "Conferences and endpoints on the video bridges, and jicofo's view: its conferences, participants and the bridges it can use.",
      unit: 'short',
      width: 12,
      queries: [
        { service: 'jitsi-jvb', expr: `sum(${JVB.conferences})`, legend: 'jvb conferences' },
        { service: 'jitsi-jvb', expr: `sum(${JVB.localEndpoints})`, legend: 'jvb endpoints' },
        { service: 'jitsi-jvb', expr: `max by (instance) (${JVB.lossFraction})`, legend: 'jvb packet loss {{instance}}' },
        { service: 'jitsi-jicofo', expr: `max(${JICOFO.conferences})`, legend: 'jicofo conferences' },
        { service: 'jitsi-jicofo', expr: `max(${JICOFO.participants})`, legend: 'jicofo participants' },
        { service: 'jitsi-jicofo', expr: `max(${JICOFO.operationalBridges})`, legend: 'operational bridges' },
      ],
    },
    {
      title: 'Audit backlog',
      description: 'Age of the oldest audit record not yet in Postgres, per MCP server replica; the line is AUDIT_MAX_LAG_MS, where /ready turns 503.',
      unit: 's',
      width: 12,
      line: { value: props.auditMaxLagSeconds, color: 'red' },
      queries: [{ service: mcp, expr: 'max by (instance) (mcp_audit_oldest_pending_age_seconds)', legend: 'oldest pending {{instance}}' }],
    },
    {
      title: 'Audit records pending and dropped',
      description: 'Audit records waiting for Postgres, and those dropped from the full buffer to the log in the last 5 minutes.',
      unit: 'short',
      width: 12,
      queries: [
        { service: mcp, expr: 'sum(mcp_audit_records_pending)', legend: 'pending' },
        { service: mcp, expr: `sum(increase(mcp_audit_records_dropped_total[${RATE}]))`, legend: 'dropped' },
      ],
    },
    {
      title: 'Deployed versions',
      description:
        'The versions running now, with how many replicas run each, and the TEN, Jitsi and MCP SDK versions synced from main. A version change is also a line on every graph (the "Deploys" annotation).',
      type: 'table',
      unit: 'short',
      width: 12,
      queries: versionQueries,
    },
    {
      title: 'Targets up',
      description: 'Replicas Prometheus scrapes, per service: fewer than expected is a replica down.',
      type: 'stat',
      unit: 'short',
      width: 12,
      queries: props.services.map((service) => ({ service, expr: `sum(up{service="${service}"})`, legend: service })),
    },
  ];
}

/**
 * The voice path's dashboard for the services an environment has: one Prometheus chosen with the
 * `datasource` variable, every query plain PromQL over our services' and Jitsi's series, and
 * each deploy as an annotation on every graph.
 */
export function voiceDashboard(props: VoiceDashboardProps): Dashboard {
  const resolved = {
    addedLatencyTargetSeconds: props.addedLatencyTargetSeconds ?? DEFAULT_ADDED_LATENCY_TARGET_SECONDS,
    auditMaxLagSeconds: props.auditMaxLagSeconds ?? DEFAULT_AUDIT_MAX_LAG_SECONDS,
    videobridgeStressThreshold: props.videobridgeStressThreshold ?? DEFAULT_VIDEOBRIDGE_STRESS_THRESHOLD,
    services: props.services,
    componentVersions: props.componentVersions ?? false,
  };
  const specs = panelSpecs(resolved)
    .map((spec) => ({ ...spec, queries: spec.queries.filter((query) => query.service === undefined || resolved.services.includes(query.service)) }))
    .filter((spec) => spec.queries.length > 0);
  return {
    uid: VOICE_DASHBOARD_UID,
    title: VOICE_DASHBOARD_TITLE,
    description: 'Sessions, latency, tools, errors, the video bridge, the audit log and deploys of the voice agent stack.',
    tags: ['voice-agent'],
    schemaVersion: GRAFANA_SCHEMA_VERSION,
    version: 1,
    editable: false,
    graphTooltip: 1,
    timezone: 'browser',
    time: { from: 'now-6h', to: 'now' },
    refresh: '1m',
    templating: {
      list: [{ name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {}, hide: 0, refresh: 1, regex: '' }],
    },
    annotations: { list: [...deployAnnotations(resolved.services), ...componentAnnotations(resolved.componentVersions)] },
    panels: layOut(specs),
  };
}

/**
 * A (service, version) present now and absent 5 minutes before: a deploy, a rollback or a
 * service back after an outage.
 */
function deployAnnotations(services: readonly ObservedService[]): PrometheusAnnotation[] {
  const selector = buildInfoSelector(services);
  if (selector === undefined) return [];
  return [versionChange({ name: 'Deploys', iconColor: 'purple', selector, by: 'service', text: '{{service}} now runs {{version}}' })];
}

/** A pinned version of TEN, Jitsi or the MCP SDK that changed in the last 5 minutes: an update synced from main. */
function componentAnnotations(recorded: boolean): PrometheusAnnotation[] {
  if (!recorded) return [];
  return [versionChange({ name: 'Updates', iconColor: 'blue', selector: COMPONENT_VERSION_METRIC, by: 'component', text: '{{component}} is now {{version}}' })];
}

/**
 * An annotation for each (`by`, version) of the selector's series present now and absent 5
 * minutes before. Evaluated every minute, so the 5-minute window cannot slip between two
 * evaluations.
 */
function versionChange(change: { name: string; iconColor: string; selector: string; by: string; text: string }): PrometheusAnnotation {
  const now = `group by (${change.by}, version) (${change.selector})`;
  const before = `group by (${change.by}, version) (${change.selector} offset 5m)`;
  return {
    name: change.name,
    datasource: PROMETHEUS_DATASOURCE,
    enable: true,
    iconColor: change.iconColor,
    expr: `${now} unless ${before}`,
    step: '1m',
    titleFormat: `{{${change.by}}} {{version}}`,
    textFormat: change.text,
    tagKeys: `${change.by},version`,
  };
}

/** Left to right in 24 columns, a new row when the next panel does not fit; ids from 1 in order. */
function layOut(specs: readonly PanelSpec[]): Panel[] {
  let x = 0;
  let y = 0;
  return specs.map((spec, index) => {
    if (x + spec.width > GRID_COLUMNS) {
      x = 0;
      y += PANEL_HEIGHT;
    }
    const gridPos = { x, y, w: spec.width, h: PANEL_HEIGHT };
    x += spec.width;
    return {
      id: index + 1,
      type: spec.type ?? 'timeseries',
      title: spec.title,
      description: spec.description,
      gridPos,
      datasource: PROMETHEUS_DATASOURCE,
      targets: spec.queries.map((query, queryIndex) => target(query, queryIndex, spec.type === 'table')),
      fieldConfig: fieldConfig(spec),
    };
  });
}

function target(query: Query, index: number, table: boolean): PrometheusTarget {
  // refIds A, B, C, … as Grafana names them.
  const refId = String.fromCharCode(65 + index);
  const base = { refId, expr: query.expr, legendFormat: query.legend, datasource: PROMETHEUS_DATASOURCE };
  return table ? { ...base, instant: true, format: 'table' } : base;
}

function fieldConfig(spec: PanelSpec): FieldConfig {
  if (spec.line === undefined) return { defaults: { unit: spec.unit, min: 0 }, overrides: [] };
  return {
    defaults: {
      unit: spec.unit,
      min: 0,
      thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: spec.line.color, value: spec.line.value }] },
      custom: { thresholdsStyle: { mode: 'dashed' } },
    },
    overrides: [],
  };
}

/** Every PromQL expression the dashboard runs, panels then annotations, each once. */
export function dashboardExpressions(dashboard: Dashboard): string[] {
  const panelExpressions = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
  const annotationExpressions = dashboard.annotations.list.map((annotation) => annotation.expr);
  return [...new Set([...panelExpressions, ...annotationExpressions])];
}
