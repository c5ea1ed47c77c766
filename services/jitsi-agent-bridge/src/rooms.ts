import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { BridgeError, RETRY_AFTER_SECONDS } from './bridge-error.ts';
import type { Config } from './config.ts';
import type { Metrics } from './metrics.ts';
import type { Peer, Placement, TenReplica } from './placement/placement.ts';
import type { RoomJoiner } from './room-joiner.ts';
import { RoomSession, type RoomState, type SessionConfig, type SessionState } from './room-session.ts';

/**
 * The rooms this replica holds: at most one live session per room (a second start for the same
 * room is the same session), admission (ROOMS_MAX, the joiner's own capacity, draining), the
 * room's claim in the placement (which also seats it on a TEN replica), and the last ended
 * session of each room, so GET can still say why an agent left.
 */

/** A start this replica does not take: another replica holds the room, or can take it. */
export class ForwardToPeer extends Error {
  readonly peer: Peer;
  readonly reason: 'holder' | 'capacity';

  constructor(peer: Peer, reason: 'holder' | 'capacity') {
    super(`room goes to bridge replica ${peer.id}`);
    this.name = 'ForwardToPeer';
    this.peer = peer;
    this.reason = reason;
  }
}

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
  readonly config: SessionConfig & Pick<Config, 'ROOMS_MAX'>;
  readonly placement: Placement;
  readonly tenReplicas: readonly TenReplica[];
  readonly joiner: RoomJoiner;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

export class Rooms {
  private readonly live = new Map<string, RoomSession>();
  private readonly ended = new Map<string, RoomSession>();
  /** Rooms between a POST and their session: a second POST waits for the first. */
  private readonly admitting = new Map<string, Promise<RoomSession>>();
  private draining = false;
  private readonly endedWaiters = new Set<() => void>();

  private readonly options: RoomsOptions;

  constructor(options: RoomsOptions) {
    this.options = options;
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

  /**
   * Starts the agent in `room`, or joins the start already under way; resolves once it is active.
   * Throws ForwardToPeer when another replica holds the room, or when this one cannot take it and
   * another can (never for a request another replica `forwarded` here: one hop at most).
   * `logger` is the request's, for what is logged about this start alone (a refusal); the
   * session logs with the bridge's logger, since it outlives the request.
   */
  async start(room: string, options: { readonly forwarded?: boolean; readonly logger?: Logger } = {}): Promise<StartResult> {
    for (;;) {
      const existing = this.live.get(room);
      if (existing !== undefined) {
        if (existing.current !== 'stopping') {
          await existing.start();
          return { created: false, state: existing.snapshot() };
        }
        // A session on its way out finishes first; then look again, since another POST may have
        // started the new one meanwhile.
        await existing.stop('replaced by a new start');
        continue;
      }
      const pending = this.admitting.get(room);
      if (pending === undefined) break;
      await pending.catch(() => undefined);
    }
    const admission = this.admit(room, options.forwarded === true, options.logger ?? this.options.logger);
    this.admitting.set(room, admission);
    let session: RoomSession;
    try {
      session = await admission;
    } finally {
      this.admitting.delete(room);
    }
    await session.start();
    return { created: true, state: session.snapshot() };
  }

  /** Whether a session of `room` runs (or is being admitted) here. */
  isLive(room: string): boolean {
    return this.live.has(room) || this.admitting.has(room);
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

  /** Live sessions (those `which` picks, all by default) by state; every state present, 0 when none. */
  countByState(which: (session: RoomSession) => boolean = () => true): Record<Exclude<SessionState, 'lost'>, number> {
    const counts: Record<Exclude<SessionState, 'lost'>, number> = { starting: 0, active: 0, stopping: 0, stopped: 0, failed: 0 };
    for (const session of this.live.values()) if (which(session)) counts[session.current as Exclude<SessionState, 'lost'>] += 1;
    return counts;
  }

  /** People in the rooms this replica holds (the agent never counts). */
  participantCount(): number {
    let people = 0;
    for (const session of this.live.values()) people += session.participantCount;
    return people;
  }

  /** Live sessions that hold a TEN session, by state (every state present, 0 when none). */
  countTenSessionsByState(): Record<Exclude<SessionState, 'lost'>, number> {
    return this.countByState((session) => session.holdsTenSession);
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
    const rooms = this.live.size + this.admitting.size;
    if (rooms >= config.ROOMS_MAX) {
      return new BridgeError(503, `at capacity: this bridge holds ${rooms} of ROOMS_MAX=${config.ROOMS_MAX} rooms`, 'at_capacity', RETRY_AFTER_SECONDS);
    }
    if (!joiner.hasCapacity()) {
      return new BridgeError(503, 'at capacity: the browser cannot take another room without degrading the rooms it holds', 'at_capacity', RETRY_AFTER_SECONDS);
    }
    return undefined;
  }

  private async admit(room: string, forwarded: boolean, requestLogger: Logger): Promise<RoomSession> {
    const { config, placement, tenReplicas, joiner, metrics, logger } = this.options;
    const refusal = this.refusal();
    if (refusal !== undefined) {
      if (!forwarded && placement.shared) {
        const location = await placement.locate(room);
        if (location.kind === 'peer') throw new ForwardToPeer(location.peer, 'holder');
        const peer = await placement.acceptingPeer();
        if (peer !== undefined) throw new ForwardToPeer(peer, 'capacity');
      }
      const failure = placement.shared && !forwarded ? new BridgeError(refusal.status, `${refusal.message}; no other bridge replica can take the room either`, refusal.outcome, refusal.retryAfterSeconds) : refusal;
      metrics.starts.inc({ outcome: failure.outcome });
      requestLogger.warn({ room, reason: failure.message }, 'start refused');
      throw failure;
    }
    const sessionId = randomUUID();
    let session: RoomSession | undefined;
    const claimed = await placement.claim(room, sessionId, config.TEN_AGENT_GRAPH, (reason) => session?.lose(reason));
    if ('heldBy' in claimed) {
      if (forwarded) throw new BridgeError(409, `room ${room} is held by bridge replica ${claimed.heldBy.id}; ask again`, 'placement', 1);
      throw new ForwardToPeer(claimed.heldBy, 'holder');
    }
    session = new RoomSession({
      room,
      sessionId,
      claim: claimed.claim,
      tenReplicas,
      config,
      joiner,
      metrics,
      logger: logger.child({ room, session: sessionId }),
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
