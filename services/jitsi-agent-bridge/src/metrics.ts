import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import packageJson from '../package.json' with { type: 'json' };

/** Which way a frame of audio goes through the bridge. */
export type Direction = 'to_ten' | 'to_room';
const DIRECTIONS: readonly Direction[] = ['to_ten', 'to_room'];

/** The bridge's Prometheus metrics, in a registry of its own (two bridges can share a process in tests). */
export interface Metrics {
  readonly registry: Registry;
  /** Rooms by state, read from the registry of rooms at scrape time. */
  readonly rooms: Gauge<'state'>;
  readonly starts: Counter<'outcome'>;
  readonly startDuration: Histogram<'outcome'>;
  readonly framesToTen: Counter;
  readonly framesFromTen: Counter;
  readonly flushes: Counter;
  readonly tenSocketConnectAttempts: Counter<'result'>;
  readonly pingFailures: Counter<'reason'>;
  readonly forwards: Counter<'reason'>;
  readonly roomsTakenOver: Counter;
  /** People (never the agent) in the rooms this replica holds, read from the rooms at scrape time. */
  readonly participants: Gauge;
  readonly framesDropped: Counter<'direction'>;
  readonly addedLatency: Histogram<'direction'>;
  readonly responseLatency: Histogram;
  /** TEN sessions by their room session's state, read from the rooms at scrape time. */
  readonly tenSessions: Gauge<'state'>;
}

/**
 * This build's version for agent_bridge_build_info: BUILD_VERSION, the image's content tag the
 * deployment sets (sha-…), or the package's version where nothing sets it (a local run).
 */
export function buildVersion(env: NodeJS.ProcessEnv = process.env): string {
  return env['BUILD_VERSION'] || packageJson.version;
}

/** Every outcome of a start (BridgeError's, and `active`), at 0 from the start. */
const START_OUTCOMES = ['active', 'at_capacity', 'draining', 'placement', 'ten', 'join', 'ten_socket', 'lease_lost', 'failed', 'stopped', 'error'];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'agent_bridge_' });
  const buildInfo = new Gauge({
    name: 'agent_bridge_build_info',
    help: "Always 1; the label says which build of the bridge runs (BUILD_VERSION, else its package.json's version).",
    labelNames: ['version'],
    registers: [registry],
  });
  buildInfo.set({ version: buildVersion() }, 1);
  const framesDropped = new Counter({
    name: 'agent_bridge_frames_dropped_total',
    help: '20 ms frames of audio the bridge discarded, by direction (see the README for every place this counts).',
    labelNames: ['direction'],
    registers: [registry],
  });
  const addedLatency = new Histogram({
    name: 'agent_bridge_added_latency_seconds',
    help: "Time a frame spends inside the bridge: to_ten from its capture in the room's page to its send on the TEN websocket; to_room from the TEN message's arrival to its audio handed to the room.",
    labelNames: ['direction'],
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2],
    registers: [registry],
  });
  // Both directions from the start: a rate() over a series that appears only at its first drop misses that drop.
  for (const direction of DIRECTIONS) {
    framesDropped.inc({ direction }, 0);
    addedLatency.zero({ direction });
  }
  const metrics: Metrics = {
    registry,
    rooms: new Gauge({ name: 'agent_bridge_rooms', help: 'Rooms this replica holds, by state.', labelNames: ['state'], registers: [registry] }),
    starts: new Counter({
      name: 'agent_bridge_room_starts_total',
      help: 'Agent starts by outcome: active, or why it failed (at_capacity, draining, ten, join, ten_socket, stopped).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    startDuration: new Histogram({
      name: 'agent_bridge_start_duration_seconds',
      help: 'From POST to active (or to the failure): TEN /start, joining the room, the worker websocket answering.',
      labelNames: ['outcome'],
      buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60],
      registers: [registry],
    }),
    framesToTen: new Counter({ name: 'agent_bridge_frames_to_ten_total', help: '20 ms frames of room audio sent to TEN.', registers: [registry] }),
    framesFromTen: new Counter({ name: 'agent_bridge_frames_from_ten_total', help: 'Audio messages from TEN played into rooms.', registers: [registry] }),
    flushes: new Counter({ name: 'agent_bridge_flushes_total', help: "TEN's flush commands (barge-in) passed to rooms.", registers: [registry] }),
    tenSocketConnectAttempts: new Counter({
      name: 'agent_bridge_ten_socket_connect_attempts_total',
      help: "Attempts to open a TEN worker's websocket, by result (open, refused).",
      labelNames: ['result'],
      registers: [registry],
    }),
    pingFailures: new Counter({
      name: 'agent_bridge_ten_ping_failures_total',
      help: 'TEN /ping calls that failed, by reason (unreachable, session_gone, other).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    forwards: new Counter({
      name: 'agent_bridge_forwarded_requests_total',
      help: 'Room requests passed to another bridge replica, by reason (holder: it runs the room; capacity: this replica could not take a new room).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    roomsTakenOver: new Counter({
      name: 'agent_bridge_rooms_taken_over_total',
      help: 'Rooms started here whose previous session was lost with its bridge replica.',
      registers: [registry],
    }),
    participants: new Gauge({ name: 'agent_bridge_participants', help: 'People in the rooms this replica holds (the agent not counted).', registers: [registry] }),
    framesDropped,
    addedLatency,
    responseLatency: new Histogram({
      name: 'agent_bridge_response_latency_seconds',
      help: "From the end of a person's speech (the last room frame above -45 dBFS) to the agent's first audible frame after it, as the bridge hands it to the room.",
      buckets: [0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10],
      registers: [registry],
    }),
    tenSessions: new Gauge({
      name: 'agent_bridge_ten_sessions',
      help: "TEN sessions this replica holds (started on TEN and not yet stopped there), by their room session's state.",
      labelNames: ['state'],
      registers: [registry],
    }),
  };
  // Counters whose every label value is known, at 0 from the start, for the same reason.
  for (const result of ['open', 'refused']) metrics.tenSocketConnectAttempts.inc({ result }, 0);
  for (const reason of ['unreachable', 'session_gone', 'other']) metrics.pingFailures.inc({ reason }, 0);
  for (const reason of ['holder', 'capacity']) metrics.forwards.inc({ reason }, 0);
  // The start outcomes the AgentCannotStart alert counts with increase(): a series born with its
  // first failure would hide that failure from it.
  for (const outcome of START_OUTCOMES) metrics.starts.inc({ outcome }, 0);
  return metrics;
}
