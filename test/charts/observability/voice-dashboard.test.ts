/**
 * The voice dashboard: a structure Grafana loads (unique ids, panels inside 24 columns, every
 * panel and annotation on the `datasource` variable with a query), a stable uid and title, and
 * every expression it runs accepted by promtool's PromQL parser (each written as a recording
 * rule, since promtool checks rule files, not bare queries).
 */
import { describe, expect, it } from 'vitest';
import {
  dashboardExpressions,
  GRAFANA_SCHEMA_VERSION,
  OBSERVED_SERVICES,
  VOICE_DASHBOARD_TITLE,
  VOICE_DASHBOARD_UID,
  voiceDashboard,
  type Dashboard,
  type ObservedService,
  TEN,
} from '../../../charts/observability/index.ts';
import { checkRules, promtool, toYaml, writeFiles } from './promtool.ts';

const ALL = [...OBSERVED_SERVICES];

/** Each expression as a recording rule `dashboard:expression_<n>`. */
function asRecordingRules(expressions: readonly string[]) {
  return [{ name: 'voice-dashboard', rules: expressions.map((expr, index) => ({ record: `dashboard:expression_${index}`, expr })) }];
}

function structureProblems(dashboard: Dashboard): string[] {
  const problems: string[] = [];
  const ids = dashboard.panels.map((panel) => panel.id);
  if (new Set(ids).size !== ids.length) problems.push(`panel ids repeat: ${ids.join(', ')}`);
  for (const panel of dashboard.panels) {
    const { x, y, w, h } = panel.gridPos;
    if (x < 0 || w < 1 || x + w > 24 || y < 0 || h < 1) problems.push(`${panel.title}: gridPos ${JSON.stringify(panel.gridPos)} outside 24 columns`);
    if (panel.datasource.uid !== '${datasource}' || panel.datasource.type !== 'prometheus') problems.push(`${panel.title}: datasource ${JSON.stringify(panel.datasource)}`);
    if (panel.targets.length === 0) problems.push(`${panel.title}: no target`);
    for (const target of panel.targets) {
      if (target.datasource.uid !== '${datasource}') problems.push(`${panel.title} ${target.refId}: datasource ${JSON.stringify(target.datasource)}`);
      if (target.expr.trim() === '') problems.push(`${panel.title} ${target.refId}: empty expression`);
    }
    const refIds = panel.targets.map((target) => target.refId);
    if (new Set(refIds).size !== refIds.length) problems.push(`${panel.title}: refIds repeat`);
  }
  // No two panels on the same cells.
  const cells = new Map<string, string>();
  for (const panel of dashboard.panels) {
    for (let column = panel.gridPos.x; column < panel.gridPos.x + panel.gridPos.w; column++) {
      for (let row = panel.gridPos.y; row < panel.gridPos.y + panel.gridPos.h; row++) {
        const cell = `${column},${row}`;
        const other = cells.get(cell);
        if (other !== undefined) problems.push(`${panel.title} overlaps ${other} at ${cell}`);
        cells.set(cell, panel.title);
      }
    }
  }
  for (const annotation of dashboard.annotations.list) {
    if (annotation.datasource.uid !== '${datasource}') problems.push(`annotation ${annotation.name}: datasource ${JSON.stringify(annotation.datasource)}`);
  }
  const [variable] = dashboard.templating.list;
  if (variable?.name !== 'datasource' || variable.type !== 'datasource' || variable.query !== 'prometheus') problems.push(`templating: ${JSON.stringify(dashboard.templating.list)}`);
  return problems;
}

describe('voiceDashboard', () => {
  const full = voiceDashboard({ services: ALL });

  it('has the panels the voice path needs, in order', () => {
    expect(full.panels.map((panel) => panel.title)).toEqual([
      'Sessions',
      "Speech end to the agent's first audio",
      'Latency the bridge adds',
      'Audio frames',
      'Tool calls by outcome',
      'Tool call latency',
      'Errors',
      'Console',
      'TEN extension callbacks',
      'TEN commands',
      'Video bridge stress',
      'Conferences and participants',
      'Audit backlog',
      'Audit records pending and dropped',
      'Deployed versions',
      'Targets up',
    ]);
  });

  it('is a structure Grafana loads, for every set of services', () => {
    const sets: ObservedService[][] = [ALL, ...ALL.map((service) => [service]), ['mcp-server', 'jitsi-jvb']];
    for (const services of sets) expect(structureProblems(voiceDashboard({ services })), services.join(',')).toEqual([]);
  });

  it('the structure check finds what it looks for (it can fail)', () => {
    const [first, second] = full.panels;
    const broken: Dashboard = {
      ...full,
      panels: [
        { ...first!, gridPos: { ...first!.gridPos, w: 30 } },
        { ...second!, id: first!.id, gridPos: first!.gridPos, targets: [], datasource: { type: 'prometheus', uid: 'prometheus' as '${datasource}' } },
      ],
    };
    const problems = structureProblems(broken);
    expect(problems).toContainEqual(`panel ids repeat: ${first!.id}, ${first!.id}`);
    expect(problems.some((problem) => problem.includes('outside 24 columns'))).toBe(true);
    expect(problems.some((problem) => problem.includes('no target'))).toBe(true);
    expect(problems.some((problem) => problem.includes('"uid":"prometheus"'))).toBe(true);
    expect(problems.some((problem) => problem.includes('overlaps'))).toBe(true);
  });

  it('keeps its uid, title and schema version whatever the services and options', () => {
    for (const dashboard of [full, voiceDashboard({ services: ['frontend'], addedLatencyTargetSeconds: 0.2 })]) {
      expect(dashboard.uid).toBe('voice-agent-voice-path');
      expect(dashboard.title).toBe('Voice agent: voice path');
      expect(dashboard.schemaVersion).toBe(42);
    }
    expect(VOICE_DASHBOARD_UID).toBe(full.uid);
    expect(VOICE_DASHBOARD_TITLE).toBe(full.title);
    expect(GRAFANA_SCHEMA_VERSION).toBe(42);
  });

  it('promtool parses every expression the dashboard runs', () => {
    const expressions = dashboardExpressions(full);
    const run = checkRules(asRecordingRules(expressions));
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain(`SUCCESS: ${expressions.length} rules found`);
  });

  it('the expression check rejects one that does not parse (it can fail)', () => {
    const run = checkRules(asRecordingRules([...dashboardExpressions(full), 'sum by (le (rate(x[5m]))']));
    expect(run.status).toBe(1);
    expect(run.output).toContain('FAILED');
  });

  it('lists every panel query and the deploy annotation, each once, and nothing of absent services', () => {
    const expressions = dashboardExpressions(full);
    const fromPanels = full.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
    expect(new Set(expressions)).toEqual(new Set([...fromPanels, full.annotations.list[0]!.expr]));
    expect(expressions.length).toBe(new Set(expressions).size);
    const mcpOnly = dashboardExpressions(voiceDashboard({ services: ['mcp-server'] }));
    expect(mcpOnly.length).toBeGreaterThan(5);
    for (const expr of mcpOnly) expect(expr).not.toMatch(/agent_bridge_|console_|jitsi_|jitsi-agent-bridge|frontend/);
  });

  it('queries each series the brief names, Jitsi\'s by their names in its sources', () => {
    const all = dashboardExpressions(full).join('\n');
    for (const name of [
      'agent_bridge_rooms',
      'agent_bridge_participants',
      'agent_bridge_ten_sessions',
      'agent_bridge_response_latency_seconds_bucket',
      'agent_bridge_added_latency_seconds_bucket',
      'agent_bridge_frames_dropped_total',
      'agent_bridge_room_starts_total',
      'mcp_tool_calls_total',
      'mcp_tool_call_duration_seconds_bucket',
      'mcp_tool_errors_total',
      'console_http_requests_total',
      'console_sign_ins_total',
      'console_agent_starts_total',
      'jitsi_jvb_stress',
      'jitsi_jvb_conferences',
      'jitsi_jicofo_conferences',
      'jitsi_jicofo_participants_current',
      'jitsi_jicofo_bridge_selector_bridge_count_operational',
      'mcp_audit_oldest_pending_age_seconds',
      'mcp_audit_records_dropped_total',
      'mcp_server_build_info',
      'agent_bridge_build_info',
      'console_build_info',
      'extension_callback_execution_duration_bucket',
      'extension_cmd_processing_duration_bucket',
      'extension_thread_msg_queue_stay_time_bucket',
    ]) {
      expect(all, name).toContain(name);
    }
  });

  // TEN's runtime cannot run here, so its series are written as the collector in the image serves
  // them (one histogram per session, with TEN's labels and the exporter's scope label) and
  // promtool evaluates the panel's queries over them: summed over sessions, split per extension.
  it("reads TEN's series as the collector serves them: p95 per extension over every session", () => {
    const callbacks = dashboardExpressions(full).filter((expr) => expr.includes(`${TEN.callbackDuration}_bucket`));
    const commands = dashboardExpressions(full).filter((expr) => expr.includes(`${TEN.commandDuration}_bucket`));
    expect(callbacks).toHaveLength(1);
    expect(commands).toHaveLength(1);
    const bucket = (name: string, labels: string, le: string, values: string) => ({
      series: `${name}_bucket{app_uri="localhost",otel_scope_name="ten-framework",service="ten-agent",instance="10.0.0.7:9464",${labels},le="${le}"}`,
      values,
    });
    // 100 callbacks a minute in each of two sessions: stt's under 1 ms, tts's between 1 and 5 ms.
    const input = ['g1', 'g2'].flatMap((graph) => [
      bucket(TEN.callbackDuration, `graph_id="${graph}",extension_name="stt",msg_type="audio_frame",msg_name="pcm_frame"`, '1000', '0+100x10'),
      bucket(TEN.callbackDuration, `graph_id="${graph}",extension_name="stt",msg_type="audio_frame",msg_name="pcm_frame"`, '5000', '0+100x10'),
      bucket(TEN.callbackDuration, `graph_id="${graph}",extension_name="stt",msg_type="audio_frame",msg_name="pcm_frame"`, '+Inf', '0+100x10'),
      bucket(TEN.callbackDuration, `graph_id="${graph}",extension_name="tts",msg_type="data",msg_name="tts_text_input"`, '1000', '0+0x10'),
      bucket(TEN.callbackDuration, `graph_id="${graph}",extension_name="tts",msg_type="data",msg_name="tts_text_input"`, '5000', '0+100x10'),
      bucket(TEN.callbackDuration, `graph_id="${graph}",extension_name="tts",msg_type="data",msg_name="tts_text_input"`, '+Inf', '0+100x10'),
      bucket(TEN.commandDuration, `graph_id="${graph}",extension_name="mcp_client",msg_name="tool_call"`, '100000', '0+10x10'),
      bucket(TEN.commandDuration, `graph_id="${graph}",extension_name="mcp_client",msg_name="tool_call"`, '+Inf', '0+10x10'),
    ]);
    const directory = writeFiles({
      'rules.yml': toYaml({ groups: [] }),
      'tests.yml': toYaml({
        rule_files: ['rules.yml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: input,
            promql_expr_test: [
              // Linear inside the bucket: stt 0 + 0.95 × 1000, tts 1000 + 0.95 × 4000 (µs).
              { expr: callbacks[0], eval_time: '10m', exp_samples: [{ labels: '{extension_name="stt"}', value: 950 }, { labels: '{extension_name="tts"}', value: 4800 }] },
              { expr: commands[0], eval_time: '10m', exp_samples: [{ labels: '{extension_name="mcp_client",msg_name="tool_call"}', value: 95000 }] },
            ],
          },
        ],
      }),
    });
    const run = promtool(['test', 'rules', 'tests.yml'], directory);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('SUCCESS');
  });

  it('marks each deploy on every graph: a (service, version) present now and not 5 minutes before', () => {
    const [deploys] = full.annotations.list;
    expect(deploys?.expr).toBe(
      'group by (service, version) ({__name__=~"mcp_server_build_info|agent_bridge_build_info|console_build_info"}) unless group by (service, version) ({__name__=~"mcp_server_build_info|agent_bridge_build_info|console_build_info"} offset 5m)',
    );
    // Evaluated more often than the 5-minute window, so no deploy slips between two evaluations.
    expect(deploys?.step).toBe('1m');
    expect(deploys?.titleFormat).toBe('{{service}} {{version}}');
    expect(voiceDashboard({ services: ['jitsi-jvb'] }).annotations.list).toEqual([]);
  });

  it('draws the alert thresholds as lines where the alerts fire', () => {
    const dashboard = voiceDashboard({ services: ALL, addedLatencyTargetSeconds: 0.15, auditMaxLagSeconds: 60, videobridgeStressThreshold: 0.9 });
    const line = (title: string) => dashboard.panels.find((panel) => panel.title === title)?.fieldConfig.defaults.thresholds?.steps.at(-1)?.value;
    expect(line('Latency the bridge adds')).toBe(0.15);
    expect(line('Audit backlog')).toBe(60);
    expect(line('Video bridge stress')).toBe(0.9);
    expect(voiceDashboard({ services: ALL }).panels.find((panel) => panel.title === 'Latency the bridge adds')?.fieldConfig.defaults.thresholds?.steps.at(-1)?.value).toBe(0.1);
  });
});
