import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'agent_bridge_' });
  return {
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
  };
}
