import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { BridgeError, RETRY_AFTER_SECONDS } from './bridge-error.ts';
import type { Config } from './config.ts';
import type { Metrics } from './metrics.ts';
import { PortPool } from './port-pool.ts';
import type { RoomJoiner } from './room-joiner.ts';
import { RoomSession, type RoomState, type SessionConfig, type SessionState } from './room-session.ts';
import type { TenClient } from './ten-client.ts';

/**
 * The rooms this replica holds: at most one live session per room (a second start for the same
 * room is the same session), admission (ROOMS_MAX, free worker ports, the joiner's own capacity,
 * draining), and the last ended session of each room, so GET can still say why an agent left.
 */

/** Ended sessions remembered for GET, most recent first out. */
const ENDED_KEPT = 100;

export interface Capacity {
  readonly roomsMax: number;
  readonly rooms: number;
  readonly accepting: boolean;
  readonly draining: boolean;
}

export interface StartResult {
  readonly created: boolean;
  readonly state: RoomState;
}

export interface RoomsOptions {
  readonly config: SessionConfig & Pick<Config, 'ROOMS_MAX' | 'TEN_WORKER_PORTS'>;
  readonly ten: TenClient;
  readonly joiner: RoomJoiner;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

export class Rooms {
  private readonly live = new Map<string, RoomSession>();
  private readonly ended = new Map<string, RoomSession>();
  private readonly ports: PortPool;
  private draining = false;
  private readonly endedWaiters = new Set<() => void>();

  private readonly options: RoomsOptions;

  constructor(options: RoomsOptions) {
    this.options = options;
    this.ports = new PortPool(options.config.TEN_WORKER_PORTS);
  }

  get isDraining(): boolean {
    return this.draining;
  }

  get liveCount(): number {
    return this.live.size;
  }

  capacity(): Capacity {
    const rooms = this.live.size;
    return { roomsMax: this.options.config.ROOMS_MAX, rooms, accepting: this.refusal() === undefined, draining: this.draining };
  }

  /** Starts the agent in `room`, or joins the start already under way; resolves once it is active. */
  async start(room: string): Promise<StartResult> {
    for (let existing = this.live.get(room); existing !== undefined; existing = this.live.get(room)) {
      if (existing.current !== 'stopping') {
        await existing.start();
        return { created: false, state: existing.snapshot() };
      }
      // A session on its way out finishes first; then look again, since another POST may have
      // started the new one meanwhile.
      await existing.stop('replaced by a new start');
    }
    const session = this.admit(room);
    await session.start();
    return { created: true, state: session.snapshot() };
  }

  /** The live session, or the room's last ended one. */
  get(room: string): RoomSession | undefined {
    return this.live.get(room) ?? this.ended.get(room);
  }

  async stop(room: string, reason: string): Promise<RoomState | undefined> {
    return this.live.get(room)?.stop(reason);
  }

  list(): RoomState[] {
    return [...this.live.values()].map((session) => session.snapshot());
  }

  countByState(): Record<SessionState, number> {
    const counts: Record<SessionState, number> = { starting: 0, active: 0, stopping: 0, stopped: 0, failed: 0 };
    for (const session of this.live.values()) counts[session.current] += 1;
    return counts;
  }

  /**
   * Drain: no new rooms from now on. Running rooms may end by themselves (their people leave and
   * the grace passes) until `stopAfterMs`; those still running then are stopped. Resolves once
   * every room has ended, or `timeoutMs` has passed; `drained` says which.
   */
  async drain(timeoutMs: number, stopAfterMs: number): Promise<{ drained: boolean; stoppedByDrain: number; left: number }> {
    this.draining = true;
    const deadline = Date.now() + timeoutMs;
    this.options.logger.info({ rooms: this.live.size, timeoutMs }, 'draining');
    await this.untilEmpty(Math.min(stopAfterMs, timeoutMs));
    const remaining = [...this.live.values()];
    for (const session of remaining) void session.stop('the bridge is shutting down');
    await this.untilEmpty(Math.max(0, deadline - Date.now()));
    return { drained: this.live.size === 0, stoppedByDrain: remaining.length, left: this.live.size };
  }

  /** Stops every room now (closing the bridge without a drain). */
  async stopAll(reason: string): Promise<void> {
    this.draining = true;
    await Promise.all([...this.live.values()].map((session) => session.stop(reason)));
  }

  /** Why a new room would be refused now, or undefined when one is welcome. */
  private refusal(): BridgeError | undefined {
    const { config, joiner } = this.options;
    if (this.draining) return new BridgeError(503, 'the bridge is draining for shutdown and takes no new rooms; try another replica', 'draining', RETRY_AFTER_SECONDS);
    if (this.live.size >= config.ROOMS_MAX) {
      return new BridgeError(503, `at capacity: this bridge holds ${this.live.size} of ROOMS_MAX=${config.ROOMS_MAX} rooms`, 'at_capacity', RETRY_AFTER_SECONDS);
    }
    if (this.ports.available === 0) {
      const { first, last } = config.TEN_WORKER_PORTS;
      return new BridgeError(503, `at capacity: every TEN worker port in ${first}-${last} (TEN_WORKER_PORTS) is taken`, 'at_capacity', RETRY_AFTER_SECONDS);
    }
    if (!joiner.hasCapacity()) {
      return new BridgeError(503, 'at capacity: the browser cannot take another room without degrading the rooms it holds', 'at_capacity', RETRY_AFTER_SECONDS);
    }
    return undefined;
  }

  private admit(room: string): RoomSession {
    const { config, ten, joiner, metrics, logger } = this.options;
    const refusal = this.refusal();
    if (refusal !== undefined) {
      metrics.starts.inc({ outcome: refusal.outcome });
      logger.warn({ room, reason: refusal.message }, 'start refused');
      throw refusal;
    }
    const port = this.ports.take() as number;
    const sessionId = randomUUID();
    const session = new RoomSession({
      room,
      sessionId,
      port,
      releasePort: () => this.ports.release(port),
      config,
      ten,
      joiner,
      metrics,
      logger: logger.child({ room, sessionId }),
      onEnded: (ended) => this.onEnded(ended),
    });
    this.live.set(room, session);
    this.ended.delete(room);
    return session;
  }

  private onEnded(session: RoomSession): void {
    if (this.live.get(session.room) === session) this.live.delete(session.room);
    this.ended.delete(session.room);
    this.ended.set(session.room, session);
    if (this.ended.size > ENDED_KEPT) this.ended.delete(this.ended.keys().next().value as string);
    for (const waiter of this.endedWaiters) waiter();
  }

  /** Resolves once no room is live, or after `ms`. */
  private untilEmpty(ms: number): Promise<void> {
    if (this.live.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.endedWaiters.delete(check);
        resolve();
      };
      const check = () => {
        if (this.live.size === 0) done();
      };
      const timer = setTimeout(done, ms);
      this.endedWaiters.add(check);
    });
  }
}
