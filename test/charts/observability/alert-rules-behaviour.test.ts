/**
 * What each alert does, proven with `promtool test rules`: for every alert, series where it must
 * fire (with its labels and rendered annotations) and series where it must stay quiet (low
 * traffic, a spike shorter than `for`, the case another alert covers). One deliberately wrong
 * expectation shows the harness fails when an alert does not do what a test says.
 */
import { describe, expect, it } from 'vitest';
import { alertRuleGroups, OBSERVED_SERVICES, type ObservedService } from '../../../charts/observability/index.ts';
import { counter, minutes, runUnitTests, type Scenario, type Series } from './rule-unit-tests.ts';

const BRIDGE = 'job="jitsi-agent-bridge", service="jitsi-agent-bridge", instance="bridge-0:8090"';
const MCP = 'job="mcp-server", service="mcp-server", instance="mcp-0:8080"';
const JVB = 'job="jitsi-jvb", service="jitsi-jvb", instance="jvb-0:8080"';
const TOOL = `${MCP}, tool="gmail-send-email", transport="streamable-http"`;
const SAMPLES = 31;

const starts = (outcome: string, values: string): Series => ({ series: `agent_bridge_room_starts_total{${BRIDGE}, outcome="${outcome}"}`, values });
const toolCalls = (outcome: string, values: string): Series => ({ series: `mcp_tool_calls_total{${TOOL}, outcome="${outcome}"}`, values });
const up = (service: string, instance: string, values: string): Series => ({ series: `up{job="${service}", service="${service}", instance="${instance}"}`, values });
const buildInfo = (version: string, instance: string, values: string): Series => ({
  series: `mcp_server_build_info{job="mcp-server", service="mcp-server", instance="${instance}", version="${version}", mcp_sdk_version="1.29.0"}`,
  values,
});

/**
 * The added-latency histogram of one direction, as the bridge exports it: `perMinute`
 * observations a minute, 40 ms ones (fast, under the 100 ms target) except in `slowMinutes`,
 * when they take 200 ms (the 0.25 bucket).
 */
function addedLatency(direction: string, perMinute: number, slowMinutes: (minute: number) => boolean): Series[] {
  const fast: number[] = [0];
  const slow: number[] = [0];
  for (let minute = 1; minute < SAMPLES; minute++) {
    fast.push(fast.at(-1)! + (slowMinutes(minute) ? 0 : perMinute));
    slow.push(slow.at(-1)! + (slowMinutes(minute) ? perMinute : 0));
  }
  const total = fast.map((value, index) => value + slow[index]!);
  const labels = `${BRIDGE}, direction="${direction}"`;
  const bucket = (le: string, values: number[]) => ({ series: `agent_bridge_added_latency_seconds_bucket{${labels}, le="${le}"}`, values: values.join(' ') });
  return [bucket('0.05', fast), bucket('0.1', fast), bucket('0.25', total), bucket('+Inf', total), { series: `agent_bridge_added_latency_seconds_count{${labels}}`, values: total.join(' ') }];
}

interface AlertCase {
  readonly alert: string;
  /** The services the rules are rendered for (all, unless the alert is one rule per service). */
  readonly services?: readonly ObservedService[];
  readonly scenarios: readonly Scenario[];
}

const CASES: readonly AlertCase[] = [
  {
    alert: 'AgentCannotStart',
    scenarios: [
      {
        name: 'fires: a failed start every minute and no success for 20 minutes',
        series: [starts('ten', counter(1, SAMPLES)), starts('active', minutes([5, SAMPLES]))],
        atMinute: 20,
        firing: [{ labels: { outcome: 'ten' }, value: '10' }],
      },
      {
        name: 'quiet: starts fail, but others succeed in the same minutes',
        series: [starts('join', counter(1, SAMPLES)), starts('active', counter(1, SAMPLES))],
        atMinute: 20,
        firing: [],
      },
      {
        name: 'quiet: two failures, one user retrying once',
        series: [starts('ten_socket', minutes([0, 5], [1, 1], [2, 25])), starts('active', minutes([5, SAMPLES]))],
        atMinute: 12,
        firing: [],
      },
      {
        name: "quiet: callers' own stops are no failures",
        series: [starts('stopped', counter(1, SAMPLES)), starts('active', minutes([5, SAMPLES]))],
        atMinute: 20,
        firing: [],
      },
    ],
  },
  {
    alert: 'AgentAddedLatencyHigh',
    scenarios: [
      {
        name: 'fires: every utterance to TEN 200 ms late for 20 minutes, the other direction fine',
        series: [...addedLatency('to_ten', 10, () => true), ...addedLatency('to_room', 10, () => false)],
        atMinute: 20,
        // p95 interpolated in the (0.1, 0.25] bucket: 0.1 + 0.15 × 0.95.
        firing: [{ labels: { direction: 'to_ten' }, value: '242.5ms' }],
      },
      {
        name: 'quiet: one slow minute keeps p95 high for 5 evaluations, one short of `for` (the worst moment)',
        series: addedLatency('to_ten', 10, (minute) => minute === 10),
        atMinute: 14,
        firing: [],
      },
      {
        name: 'fires: two slow minutes keep p95 high for 6 evaluations',
        series: addedLatency('to_ten', 10, (minute) => minute === 10 || minute === 11),
        atMinute: 15,
        // At 15 the window holds one slow minute of five: 0.1 + 0.15 × (47.5 − 40) / 10.
        firing: [{ labels: { direction: 'to_ten' }, value: '212.5ms' }],
      },
      {
        name: 'quiet: all slow, but 5 samples in 5 minutes say nothing',
        series: addedLatency('to_ten', 1, () => true),
        atMinute: 20,
        firing: [],
      },
    ],
  },
  {
    alert: 'McpToolErrorRatioHigh',
    scenarios: [
      {
        name: 'fires: one call in five fails, five calls a minute',
        series: [toolCalls('ok', counter(4, SAMPLES)), toolCalls('tool_error', counter(1, SAMPLES))],
        atMinute: 20,
        firing: [{ labels: {}, value: '20%' }],
      },
      {
        name: 'quiet: at night the only call fails (100 %, but one call)',
        series: [toolCalls('tool_error', minutes([0, 10], [1, 21]))],
        atMinute: 20,
        firing: [],
      },
      {
        name: 'quiet: cancelled calls (barge-in) are no failures',
        series: [toolCalls('ok', counter(4, SAMPLES)), toolCalls('cancelled', counter(2, SAMPLES))],
        atMinute: 20,
        firing: [],
      },
      {
        name: 'quiet: 5 % timeouts, under the threshold',
        series: [toolCalls('ok', counter(19, SAMPLES)), toolCalls('timeout', counter(1, SAMPLES))],
        atMinute: 20,
        firing: [],
      },
    ],
  },
  {
    alert: 'McpAuditBacklogOld',
    scenarios: [
      {
        name: 'fires: the oldest record has waited 45 s for 7 minutes',
        series: [{ series: `mcp_audit_oldest_pending_age_seconds{${MCP}}`, values: minutes([0, 3], [45, 20]) }],
        atMinute: 10,
        firing: [{ labels: { instance: 'mcp-0:8080' }, value: '45s' }],
      },
      {
        name: 'quiet: one slow batch, 45 s for one minute',
        series: [{ series: `mcp_audit_oldest_pending_age_seconds{${MCP}}`, values: minutes([0, 3], [45, 1], [0, 20]) }],
        atMinute: 5,
        firing: [],
      },
      {
        name: 'quiet: 25 s, under AUDIT_MAX_LAG_MS',
        series: [{ series: `mcp_audit_oldest_pending_age_seconds{${MCP}}`, values: minutes([25, SAMPLES]) }],
        atMinute: 20,
        firing: [],
      },
    ],
  },
  {
    alert: 'McpAuditRecordsDropped',
    scenarios: [
      {
        name: 'fires at once: three records dropped',
        series: [{ series: `mcp_audit_records_dropped_total{${MCP}}`, values: minutes([0, 5], [3, 20]) }],
        atMinute: 6,
        firing: [{ labels: { instance: 'mcp-0:8080' }, value: '' }],
      },
      {
        name: 'quiet: nothing dropped',
        series: [{ series: `mcp_audit_records_dropped_total{${MCP}}`, values: minutes([0, SAMPLES]) }],
        atMinute: 20,
        firing: [],
      },
      {
        name: 'quiet again 10 minutes after the last drop',
        series: [{ series: `mcp_audit_records_dropped_total{${MCP}}`, values: minutes([0, 5], [3, 30]) }],
        atMinute: 30,
        firing: [],
      },
    ],
  },
  {
    alert: 'VideobridgeStressHigh',
    scenarios: [
      {
        name: 'fires: stress 0.9 for 10 minutes',
        series: [{ series: `jitsi_jvb_stress{${JVB}}`, values: minutes([0.9, 15]) }],
        atMinute: 10,
        firing: [{ labels: { job: 'jitsi-jvb', service: 'jitsi-jvb', instance: 'jvb-0:8080' }, value: '0.90' }],
      },
      {
        name: 'quiet: 0.9 for 3 minutes, then 0.5',
        series: [{ series: `jitsi_jvb_stress{${JVB}}`, values: minutes([0.9, 3], [0.5, 12]) }],
        atMinute: 4,
        firing: [],
      },
      {
        name: 'quiet: 0.7 all along',
        series: [{ series: `jitsi_jvb_stress{${JVB}}`, values: minutes([0.7, 15]) }],
        atMinute: 10,
        firing: [],
      },
    ],
  },
  {
    alert: 'DeployRolledBack',
    scenarios: [
      {
        name: 'fires: 1.0.0 for an hour, 1.1.0 for half an hour, then 1.0.0 again',
        series: [
          buildInfo('1.0.0', 'mcp-0:8080', minutes([1, 60], ['stale', 1], ['_', 29], [1, 20])),
          buildInfo('1.1.0', 'mcp-0:8080', minutes(['_', 60], [1, 30], ['stale', 1], ['_', 19])),
        ],
        atMinute: 95,
        firing: [{ labels: { service: 'mcp-server', version: '1.0.0' }, value: '' }],
      },
      {
        name: 'fires: the same across replicas (new pods, new instances)',
        series: [
          buildInfo('1.0.0', '10.0.0.1:8080', minutes([1, 60], ['stale', 1], ['_', 49])),
          buildInfo('1.1.0', '10.0.0.2:8080', minutes(['_', 60], [1, 30], ['stale', 1], ['_', 19])),
          buildInfo('1.0.0', '10.0.0.3:8080', minutes(['_', 90], [1, 20])),
        ],
        atMinute: 95,
        firing: [{ labels: { service: 'mcp-server', version: '1.0.0' }, value: '' }],
      },
      {
        name: 'quiet: a deploy, 1.0.0 then 1.1.0',
        series: [buildInfo('1.0.0', 'mcp-0:8080', minutes([1, 60], ['stale', 1], ['_', 40])), buildInfo('1.1.0', 'mcp-0:8080', minutes(['_', 60], [1, 41]))],
        atMinute: 95,
        firing: [],
      },
      {
        name: 'quiet: after a deploy, the new version restarts (down 10 minutes, back)',
        series: [
          buildInfo('1.0.0', 'mcp-0:8080', minutes([1, 30], ['stale', 1], ['_', 70])),
          buildInfo('1.1.0', 'mcp-0:8080', minutes(['_', 30], [1, 30], ['stale', 1], ['_', 9], [1, 31])),
        ],
        atMinute: 95,
        firing: [],
      },
      {
        name: 'quiet: a canary beside the old version, then dropped',
        series: [buildInfo('1.0.0', 'mcp-0:8080', minutes([1, 101])), buildInfo('1.1.0', 'mcp-1:8080', minutes(['_', 30], [1, 20], ['stale', 1], ['_', 50]))],
        atMinute: 95,
        firing: [],
      },
      {
        name: 'quiet: the rollback was more than 6 hours ago',
        series: [
          buildInfo('1.0.0', 'mcp-0:8080', minutes([1, 60], ['stale', 1], ['_', 29], [1, 391])),
          buildInfo('1.1.0', 'mcp-0:8080', minutes(['_', 60], [1, 30], ['stale', 1], ['_', 390])),
        ],
        atMinute: 460,
        firing: [],
      },
    ],
  },
  {
    alert: 'ServiceDown',
    services: ['jitsi-agent-bridge'],
    scenarios: [
      {
        name: 'fires: the only bridge replica down for 5 minutes',
        series: [up('jitsi-agent-bridge', 'bridge-0:8090', minutes([1, 3], [0, 10]))],
        atMinute: 8,
        firing: [{ labels: {}, value: '' }],
      },
      {
        name: 'fires: no bridge target at all (gone from discovery)',
        series: [up('mcp-server', 'mcp-0:8080', minutes([1, 10]))],
        atMinute: 5,
        firing: [{ labels: {}, value: '' }],
      },
      {
        name: 'quiet: one of two replicas down (ScrapeTargetDown says so)',
        series: [up('jitsi-agent-bridge', 'bridge-0:8090', minutes([0, 10])), up('jitsi-agent-bridge', 'bridge-1:8090', minutes([1, 10]))],
        atMinute: 8,
        firing: [],
      },
      {
        name: 'quiet: down for one minute',
        series: [up('jitsi-agent-bridge', 'bridge-0:8090', minutes([1, 3], [0, 1], [1, 10]))],
        atMinute: 5,
        firing: [],
      },
    ],
  },
  {
    alert: 'ScrapeTargetDown',
    scenarios: [
      {
        name: 'fires: one of two bridge replicas unscraped for 7 minutes',
        series: [up('jitsi-agent-bridge', 'bridge-0:8090', minutes([1, 15])), up('jitsi-agent-bridge', 'bridge-1:8090', minutes([1, 3], [0, 12]))],
        atMinute: 10,
        firing: [{ labels: { job: 'jitsi-agent-bridge', service: 'jitsi-agent-bridge', instance: 'bridge-1:8090' }, value: '' }],
      },
      {
        name: 'quiet: every replica down (ServiceDown says so)',
        series: [up('jitsi-agent-bridge', 'bridge-0:8090', minutes([0, 15])), up('jitsi-agent-bridge', 'bridge-1:8090', minutes([0, 15]))],
        atMinute: 10,
        firing: [],
      },
      {
        name: 'quiet: a replica restarting, down 3 minutes',
        series: [up('jitsi-agent-bridge', 'bridge-0:8090', minutes([1, 15])), up('jitsi-agent-bridge', 'bridge-1:8090', minutes([1, 3], [0, 3], [1, 9]))],
        atMinute: 6,
        firing: [],
      },
    ],
  },
];

describe('alert rules under promtool test rules', () => {
  const all = [...OBSERVED_SERVICES];

  for (const { alert, services, scenarios } of CASES) {
    it(`${alert}: ${scenarios.length} scenarios pass`, () => {
      const run = runUnitTests(alertRuleGroups({ services: services ?? all }), alert, scenarios);
      expect(run.status, run.output).toBe(0);
      expect(run.output).toContain('SUCCESS');
      expect(run.output).not.toContain('FAILED');
    });
  }

  it('every alert has a scenario where it fires and one where it stays quiet', () => {
    const alerts = [...new Set(alertRuleGroups({ services: all }).flatMap((group) => group.rules.map((rule) => rule.alert)))];
    expect(CASES.map((entry) => entry.alert).sort()).toEqual(alerts.sort());
    for (const { alert, scenarios } of CASES) {
      expect(scenarios.some((scenario) => scenario.firing.length > 0), `${alert} fires somewhere`).toBe(true);
      expect(scenarios.some((scenario) => scenario.firing.length === 0), `${alert} stays quiet somewhere`).toBe(true);
    }
  });

  it('a wrong expectation fails: the harness can tell an alert that fires from one that does not', () => {
    const firing = CASES.find((entry) => entry.alert === 'AgentCannotStart')!.scenarios[0]!;
    const run = runUnitTests(alertRuleGroups({ services: all }), 'AgentCannotStart', [{ ...firing, name: 'wrong on purpose', firing: [] }]);
    expect(run.status).toBe(1);
    expect(run.output).toContain('FAILED');
    expect(run.output).toContain('alertname: AgentCannotStart');
    expect(run.output).toContain('outcome="ten"');
  });
});
