import { rolledBackVersionsExpr } from './deploy-rollback.ts';
import { JVB } from './jitsi-metrics.ts';
import { buildInfoSelector, serviceRegex, type ObservedService } from './observed-services.ts';
import type { AlertingRule, RuleGroup } from './prometheus-rules.ts';
import { DEFAULT_ADDED_LATENCY_TARGET_SECONDS, DEFAULT_AUDIT_MAX_LAG_SECONDS, DEFAULT_VIDEOBRIDGE_STRESS_THRESHOLD } from './thresholds.ts';

export interface AlertRulesProps {
  /** The environment's observed services (see observedServices()); rules about any other are left out. */
  readonly services: readonly ObservedService[];
  /**
   * p95 of the latency the bridge adds, per direction, above which the voice path is too slow.
   * @default 0.1 - the bridge benchmark's target, "added p95 ≤ 100 ms each way" (services/jitsi-agent-bridge/bench/bridge.bench.ts)
   */
  readonly addedLatencyTargetSeconds?: number;
  /**
   * Share of the MCP server's tool calls over 10 minutes that may fail before it alerts.
   * @default 0.1 - one call in ten failing is beyond an upstream's ordinary hiccups, and the agent says so to the user each time
   */
  readonly toolErrorRatio?: number;
  /**
   * Fewest tool calls in 10 minutes for the error ratio to count.
   * @default 10 - below that one failure is already 10 %, and one failed call at night pages no one
   */
  readonly toolErrorMinCalls?: number;
  /**
   * Age of the oldest audit record not yet in Postgres above which the audit log is behind.
   * @default 30 - the MCP server's AUDIT_MAX_LAG_MS default (30 000 ms), where its /ready turns 503
   */
  readonly auditMaxLagSeconds?: number;
  /**
   * jvb stress (1 = jvb's own overload threshold) above which the video bridge is near its limit.
   * @default 0.8 - room to add a bridge before jvb starts cutting video at 1
   */
  readonly videobridgeStressThreshold?: number;
  /**
   * How far back a version that comes back again counts as a rollback.
   * @default 6 - a working day's deploys; a version older than that coming back is a deliberate pin, not a rollback to explain
   */
  readonly rollbackWindowHours?: number;
}

/** Agent starts that failed on our side or for capacity; `active` is a success, `stopped` the caller's own DELETE. */
const FAILED_START_OUTCOMES = 'active|stopped';
/** Tool call outcomes that are not failures: `ok`, and `cancelled` (the caller went away, as a barge-in does). */
const TOOL_CALL_NOT_FAILED = 'ok|cancelled';

/** What it means to the users when all of a service's replicas are down, and where to look first. */
const SERVICE_DOWN: Record<ObservedService, { meaning: string; runbook: string }> = {
  'mcp-server': {
    meaning: "the agent's tools fail, and the console's tool list is empty",
    runbook: 'Check the mcp-server pods or containers (crash loop, failed readiness: Postgres, Redis, audit lag in /ready) and their last log lines.',
  },
  'jitsi-agent-bridge': {
    meaning: 'no agent can join a room: every "start agent" fails',
    runbook: 'Check the jitsi-agent-bridge pods or containers (crash loop, Chromium failing to start, out of memory) and their last log lines.',
  },
  frontend: {
    meaning: 'nobody can sign in to the console or start an agent',
    runbook: 'Check the frontend pods or containers and their last log lines; then the identity provider it signs in with.',
  },
  // Its metrics come from the collector beside the agent server, so down may be either.
  'ten-agent': {
    meaning: "either the TEN agent is down, and no agent can listen or answer in any room, or only the metrics collector beside it is failing",
    runbook:
      "Check the ten-agent pods or containers: restarts, /health on port 8080, and the log lines of the collector's supervisor (service ten-agent-telemetry: the collector exiting) and of the drain step (ten-agent-drain). agent_bridge_ten_sessions shows whether sessions still start.",
  },
  'jitsi-jvb': {
    meaning: 'no media flows: meetings have no audio or video',
    runbook: "Check the jitsi-jvb pod or container, its public UDP port and advertised IPs, and jicofo's log for the bridge leaving.",
  },
  'jitsi-jicofo': {
    meaning: 'no new conference starts, and running ones cannot add participants',
    runbook: 'Check the jitsi-jicofo pod or container and its XMPP connection to prosody.',
  },
  'jitsi-prosody': {
    meaning: 'nobody can join a meeting, the agent bridge included: browsers, jicofo and the video bridge all sign in to prosody',
    runbook:
      "Check the jitsi-prosody pod or container and its last log lines (its XMPP port 5222, BOSH on 5280). A 403 on /metrics alone means the scraper's address is outside PROSODY_METRICS_ALLOWED_CIDR.",
  },
};

/**
 * The alert rules for an environment's observed services: plain rule groups, in a fixed order,
 * with no group left empty. Throws on an option out of range.
 */
export function alertRuleGroups(props: AlertRulesProps): RuleGroup[] {
  const addedLatencyTarget = positive('addedLatencyTargetSeconds', props.addedLatencyTargetSeconds ?? DEFAULT_ADDED_LATENCY_TARGET_SECONDS);
  const toolErrorRatio = fraction('toolErrorRatio', props.toolErrorRatio ?? 0.1);
  const toolErrorMinCalls = positive('toolErrorMinCalls', props.toolErrorMinCalls ?? 10);
  const auditMaxLag = positive('auditMaxLagSeconds', props.auditMaxLagSeconds ?? DEFAULT_AUDIT_MAX_LAG_SECONDS);
  const stressThreshold = positive('videobridgeStressThreshold', props.videobridgeStressThreshold ?? DEFAULT_VIDEOBRIDGE_STRESS_THRESHOLD);
  const rollbackWindowHours = wholeHours('rollbackWindowHours', props.rollbackWindowHours ?? 6);
  const has = (service: ObservedService) => props.services.includes(service);

  const groups: RuleGroup[] = [
    { name: 'voice-agent.agent', rules: has('jitsi-agent-bridge') ? [agentCannotStart(), addedLatencyHigh(addedLatencyTarget)] : [] },
    { name: 'voice-agent.mcp-tools', rules: has('mcp-server') ? [toolErrorRatioHigh(toolErrorRatio, toolErrorMinCalls)] : [] },
    { name: 'voice-agent.mcp-audit', rules: has('mcp-server') ? [auditBacklogOld(auditMaxLag), auditRecordsDropped()] : [] },
    { name: 'voice-agent.video-bridge', rules: has('jitsi-jvb') ? [videobridgeStressHigh(stressThreshold)] : [] },
    { name: 'voice-agent.deploys', rules: deployRolledBack(props.services, rollbackWindowHours) },
    { name: 'voice-agent.targets', rules: props.services.length === 0 ? [] : [...props.services.map(serviceDown), scrapeTargetDown(props.services)] },
  ];
  return groups.filter((group) => group.rules.length > 0);
}

/**
 * Starts keep failing and none succeeds: whoever presses "start agent" gets an error. Three
 * failures in 10 minutes is a user who retried, not one unlucky click; any success in the same
 * 10 minutes means the bridge works for some, and the failures are one room's problem. Grouped
 * by outcome, so the alert says why (ten, join, ten_socket, at_capacity, draining, error).
 */
function agentCannotStart(): AlertingRule {
  return {
    alert: 'AgentCannotStart',
    expr: [
      `(sum by (outcome) (increase(agent_bridge_room_starts_total{outcome!~"${FAILED_START_OUTCOMES}"}[10m])) >= 3)`,
      'unless on ()',
      '(sum(increase(agent_bridge_room_starts_total{outcome="active"}[10m])) > 0)',
    ].join('\n'),
    for: '5m',
    labels: { severity: 'critical', service: 'jitsi-agent-bridge' },
    annotations: {
      summary: 'Agent starts fail ({{ $labels.outcome }}) and none succeeded in 10 minutes',
      description:
        'The agent bridge refused or failed {{ $value | printf "%.0f" }} starts with outcome {{ $labels.outcome }} in the last 10 minutes and started none: users who ask for the agent get an error.',
      runbook:
        'By outcome: ten = TEN /start failed (TEN agent down or at its workers limit); join = the agent could not join the room (Jitsi, prosody, the JWT secret); ten_socket = TEN\'s worker websocket did not answer; at_capacity or draining = every bridge replica is full or stopping (add replicas or raise ROOMS_MAX). The bridge\'s "start refused" and "agent failed" log lines name the room and the reason.',
    },
  };
}

/**
 * The p95 latency the bridge adds above target for 5 minutes, per direction: the p95 of the last
 * 5 minutes must stay above it at five evaluations in a row, so one slow minute (which lifts it
 * for five) does not page, and two do. Fewer than 20 samples in the window (the bench's own
 * minimum for a p95) say nothing.
 */
function addedLatencyHigh(targetSeconds: number): AlertingRule {
  return {
    alert: 'AgentAddedLatencyHigh',
    expr: [
      `histogram_quantile(0.95, sum by (direction, le) (rate(agent_bridge_added_latency_seconds_bucket[5m]))) > ${targetSeconds}`,
      'and on (direction)',
      'sum by (direction) (increase(agent_bridge_added_latency_seconds_count[5m])) >= 20',
    ].join('\n'),
    for: '5m',
    labels: { severity: 'warning', service: 'jitsi-agent-bridge' },
    annotations: {
      summary: `The bridge adds {{ $value | humanizeDuration }} at p95 ({{ $labels.direction }}), above the ${milliseconds(targetSeconds)} ms target`,
      description: `For 5 minutes the agent bridge has added more than ${milliseconds(targetSeconds)} ms (p95) to the audio going {{ $labels.direction }}: the agent answers late or is heard late.`,
      runbook:
        "Look at the bridge replicas' CPU (the headless Chromium mixes audio on it) and rooms per replica; frames dropped in the same direction mean the replica is overloaded: add replicas or lower ROOMS_MAX.",
    },
  };
}

/**
 * More than `ratio` of the tool calls failed over 10 minutes, counted only when there were at
 * least `minCalls` calls: at night one failure of three calls is 33 % and no reason to wake anyone.
 */
function toolErrorRatioHigh(ratio: number, minCalls: number): AlertingRule {
  return {
    alert: 'McpToolErrorRatioHigh',
    expr: [
      `(sum(increase(mcp_tool_calls_total{outcome!~"${TOOL_CALL_NOT_FAILED}"}[10m])) / sum(increase(mcp_tool_calls_total[10m]))) > ${ratio}`,
      'and',
      `sum(increase(mcp_tool_calls_total[10m])) >= ${minCalls}`,
    ].join('\n'),
    for: '5m',
    labels: { severity: 'warning', service: 'mcp-server' },
    annotations: {
      summary: `{{ $value | humanizePercentage }} of tool calls failed over 10 minutes (threshold ${percent(ratio)} %)`,
      description: 'The MCP server answered more than the threshold of tool calls over the last 10 minutes with an error, a timeout, invalid arguments or "not connected": the agent tells users it could not do what they asked.',
      runbook:
        'Split mcp_tool_calls_total by tool and outcome (the dashboard\'s "Tool calls" panel) and mcp_tool_errors_total by error_class: upstream_5xx or network = Pipedream or the workflow; timeout = a slow workflow; not_connected = users\' accounts not connected; invalid_arguments = the model and a tool\'s schema disagree.',
    },
  };
}

/**
 * The oldest audit record still waiting is older than the server's AUDIT_MAX_LAG_MS: the audit
 * log is not keeping up (Postgres slow or away) and the replica's /ready already says 503. Two
 * minutes, so one slow batch does not page.
 */
function auditBacklogOld(maxLagSeconds: number): AlertingRule {
  return {
    alert: 'McpAuditBacklogOld',
    expr: `max by (instance) (mcp_audit_oldest_pending_age_seconds) > ${maxLagSeconds}`,
    for: '2m',
    labels: { severity: 'warning', service: 'mcp-server' },
    annotations: {
      summary: `Audit records wait {{ $value | humanizeDuration }} on {{ $labels.instance }} (limit ${maxLagSeconds} s)`,
      description:
        'The MCP server replica holds audit records it could not write to Postgres for longer than AUDIT_MAX_LAG_MS; its /ready answers 503, so it takes no new traffic, and when its buffer fills records go to the log only.',
      runbook: "Check Postgres (reachable, disk, locks on the audit table) and the replica's mcp_audit_write_failures_total and log lines about audit writes.",
    },
  };
}

/** Any audit record pushed out of the full buffer: it is in the log only, not in Postgres. Fires at once. */
function auditRecordsDropped(): AlertingRule {
  return {
    alert: 'McpAuditRecordsDropped',
    expr: 'sum by (instance) (increase(mcp_audit_records_dropped_total[10m])) > 0',
    for: '0m',
    labels: { severity: 'warning', service: 'mcp-server' },
    annotations: {
      summary: 'Audit records dropped from the buffer on {{ $labels.instance }} in the last 10 minutes',
      description: "The MCP server's audit buffer was full, so it dropped records from Postgres' audit table and wrote them to its log instead: the table misses those tool calls.",
      runbook: 'Fix what keeps the audit log from Postgres (see McpAuditBacklogOld), then recover the dropped records from the log lines that carry them.',
    },
  };
}

/**
 * jvb's stress is its load over its own overload threshold (1 = overloaded, when it starts
 * cutting video); above the threshold for 5 minutes it is a trend, not a spike, and time to add
 * a bridge or move conferences.
 */
function videobridgeStressHigh(threshold: number): AlertingRule {
  return {
    alert: 'VideobridgeStressHigh',
    expr: `${JVB.stress} > ${threshold}`,
    for: '5m',
    labels: { severity: 'warning', service: 'jitsi-jvb' },
    annotations: {
      summary: `Video bridge {{ $labels.instance }} at stress {{ $value | printf "%.2f" }} (threshold ${threshold})`,
      description: 'The video bridge has run near its load limit for 5 minutes; at 1 it reduces the video it forwards, and meetings degrade.',
      runbook: "Check the jvb host's CPU and packet rate and the conferences on it; add a bridge or a bigger host. Audio for the agent suffers last, but it does suffer.",
    },
  };
}

/** A version running again after another replaced it: someone or something rolled back (see deploy-rollback.ts). */
function deployRolledBack(services: readonly ObservedService[], windowHours: number): AlertingRule[] {
  const selector = buildInfoSelector(services);
  if (selector === undefined) return [];
  return [
    {
      alert: 'DeployRolledBack',
      expr: rolledBackVersionsExpr(selector, windowHours),
      for: '0m',
      labels: { severity: 'warning' },
      annotations: {
        summary: '{{ $labels.service }} runs {{ $labels.version }} again after another version replaced it',
        description: `Within the last ${windowHours} hours another version of {{ $labels.service }} replaced {{ $labels.version }}, and {{ $labels.version }} runs again: a rollback, by hand, by Argo CD or by Railway.`,
        runbook: 'Find out why the newer version was rolled back (its deploy log, the alerts around it) and pin or fix it before the next deploy brings it back.',
      },
    },
  ];
}

/** Every replica of a service down or gone from discovery for 2 minutes: its users are failing. */
function serviceDown(service: ObservedService): AlertingRule {
  const { meaning, runbook } = SERVICE_DOWN[service];
  return {
    alert: 'ServiceDown',
    expr: `absent(up{service="${service}"} == 1)`,
    for: '2m',
    labels: { severity: 'critical', service },
    annotations: {
      summary: `No ${service} replica is up`,
      description: `Prometheus has reached no ${service} replica for 2 minutes: ${meaning}.`,
      runbook,
    },
  };
}

/**
 * One replica that Prometheus cannot scrape for 5 minutes while others of its service are up
 * (when none is, ServiceDown says so instead): the others carry its load, and it may be
 * failing its users too.
 */
function scrapeTargetDown(services: readonly ObservedService[]): AlertingRule {
  const matcher = `service=~"${serviceRegex(services)}"`;
  return {
    alert: 'ScrapeTargetDown',
    expr: `(up{${matcher}} == 0) unless on (service) (max by (service) (up{${matcher}}) == 0)`,
    for: '5m',
    labels: { severity: 'warning' },
    annotations: {
      summary: '{{ $labels.service }} replica {{ $labels.instance }} is down',
      description: 'Prometheus has not scraped {{ $labels.instance }} of {{ $labels.service }} for 5 minutes while other replicas are up.',
      runbook: "Check that replica's pod or container (restarts, readiness) and whether its /metrics answers.",
    },
  };
}

/** 0.1 → "100", without float noise. */
function milliseconds(seconds: number): string {
  return String(Number((seconds * 1000).toPrecision(12)));
}

/** 0.07 → "7", without float noise. */
function percent(ratio: number): string {
  return String(Number((ratio * 100).toPrecision(12)));
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`alert rules: ${name} must be a positive number, got ${value}`);
  return value;
}

function fraction(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0 || value >= 1) throw new Error(`alert rules: ${name} must be between 0 and 1, exclusive, got ${value}`);
  return value;
}

function wholeHours(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`alert rules: ${name} must be a whole number of hours, at least 1, got ${value}`);
  return value;
}
