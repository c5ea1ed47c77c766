import type { Logger } from 'pino';
import { asBridgeError, BridgeError } from './bridge-error.ts';
import { pingIntervalMs, type Config } from './config.ts';
import { mintAgentJwt } from './jitsi-jwt.ts';
import type { Metrics } from './metrics.ts';
import { isSpeech } from './pcm-level.ts';
import type { RoomClaim, TenReplica, TenSeat } from './placement/placement.ts';
import { ResponseTimer } from './response-timer.ts';
import type { JoinedRoom, RoomAudioStats, RoomJoiner } from './room-joiner.ts';
import { TEN_CODE, TenError } from './ten-client.ts';
import type { TenMessage } from './ten-messages.ts';
import { connectTenSocket, type TenSocket } from './ten-socket.ts';

/**
 * One room's agent, from POST to the end: a TEN session on a worker port of one TEN replica (its
 * seat), the agent in the room through the RoomJoiner, and the worker's websocket between them.
 * Whatever ends it (DELETE, an empty room, a fatal error, a lost lease, shutdown) goes through
 * `end`, which runs once and releases everything that was taken: the websocket, the room, the TEN
 * session, the seat and the room's claim.
 */

/**
 * `lost` is never a live session's state: it is what any replica answers for a room whose
 * session was running on a bridge replica that is gone.
 */
export type SessionState = 'starting' | 'active' | 'stopping' | 'stopped' | 'failed' | 'lost';

export interface Participant {
  readonly id: string;
  readonly displayName: string;
}

/** What GET /rooms/:room/agent answers (and the SSE stream's `state` event carries). */
export interface RoomState {
  readonly room: string;
  readonly sessionId: string;
  /** The TEN graph the session runs (TEN_AGENT_GRAPH). */
  readonly graph: string;
  readonly state: SessionState;
  readonly startedAt: string;
  readonly participants: readonly Participant[];
  readonly heard: { readonly frames: number; readonly lastSpeechAt: string | null };
  /** The last final transcript of what people said. */
  readonly lastHeard: string | null;
  /** The last final transcript of what the agent said. */
  readonly lastSaid: string | null;
  readonly lastError: string | null;
  readonly audio: RoomAudioStats;
}

export interface TranscriptEvent {
  readonly role: 'user' | 'assistant';
  readonly text: string;
  readonly final: boolean;
  /** When the bridge received it (ISO). */
  readonly at: string;
}

/** Final transcript lines a session keeps for streams that connect later. */
export const TRANSCRIPT_KEPT = 100;

export type RoomEvent = { readonly type: 'state'; readonly state: RoomState } | { readonly type: 'transcript'; readonly transcript: TranscriptEvent };

export type SessionConfig = Pick<
  Config,
  | 'TEN_AGENT_GRAPH'
  | 'TEN_WORKER_BIND_HOST'
  | 'TEN_SESSION_TIMEOUT_SECONDS'
  | 'TEN_CONNECT_TIMEOUT_SECONDS'
  | 'EMPTY_ROOM_GRACE_SECONDS'
  | 'JITSI_JWT_APP_ID'
  | 'JITSI_JWT_AUDIENCE'
  | 'JITSI_JWT_SUBJECT'
  | 'JWT_APP_SECRET'
  | 'AGENT_DISPLAY_NAME'
>;

export interface RoomSessionOptions {
  readonly room: string;
  readonly sessionId: string;
  /** This replica's hold on the room: it seats the session on a TEN replica and is released at the end. */
  readonly claim: RoomClaim;
  /** Every TEN replica, to stop the TEN session of a session this one replaces. */
  readonly tenReplicas: readonly TenReplica[];
  readonly config: SessionConfig;
  readonly joiner: RoomJoiner;
  readonly metrics: Metrics;
  /** A logger for this session (`room` and `session` already bound). */
  readonly logger: Logger;
  /** Called once, when the session has stopped or failed and released everything. */
  readonly onEnded: (session: RoomSession) => void;
}

const NO_AUDIO: RoomAudioStats = { framesPerSecond: 0, audioClockRatio: 1, queuedPlayoutMs: 0, underruns: 0, trimmedPlayoutMs: 0 };

/** IPv6 literals go in brackets in a URL. */
function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export class RoomSession {
  readonly room: string;
  readonly sessionId: string;
  readonly startedAt = new Date();
  private state: SessionState = 'starting';
  private participants: readonly Participant[] = [];
  private framesHeard = 0;
  private lastSpeechAt: Date | undefined;
  private lastHeard: string | null = null;
  private lastSaid: string | null = null;
  private readonly finalLines: TranscriptEvent[] = [];
  private lastError: string | null = null;
  private audio: RoomAudioStats = NO_AUDIO;
  private readonly responses = new ResponseTimer();

  private readonly abort = new AbortController();
  private readonly listeners = new Set<(event: RoomEvent) => void>();
  private starting: Promise<void> | undefined;
  private runSettled: Promise<void> = Promise.resolve();
  private ending: Promise<RoomState> | undefined;
  /** Why the session failed, as the POST that started it answers. */
  private failure: BridgeError | undefined;
  /** Why `end` was called, for the answer of a POST whose start it cut short. */
  private lastStopReason = '';
  private tenStarted = false;
  private seat: TenSeat | undefined;
  private joined: JoinedRoom | undefined;
  private socket: TenSocket | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;

  private readonly options: RoomSessionOptions;

  constructor(options: RoomSessionOptions) {
    this.options = options;
    this.room = options.room;
    this.sessionId = options.sessionId;
  }

  get current(): SessionState {
    return this.state;
  }

  /** People in the room now (the agent never counts). */
  get participantCount(): number {
    return this.participants.length;
  }

  /** Whether this session holds a TEN session: /start answered and /stop not yet done (release). */
  get holdsTenSession(): boolean {
    return this.tenStarted;
  }

  snapshot(): RoomState {
    if (this.joined !== undefined && this.ending === undefined) {
      try {
        this.audio = this.joined.stats();
      } catch {
        // A joiner that cannot say keeps the last figures.
      }
    }
    return {
      room: this.room,
      sessionId: this.sessionId,
      graph: this.options.config.TEN_AGENT_GRAPH,
      state: this.state,
      startedAt: this.startedAt.toISOString(),
      participants: this.participants,
      heard: { frames: this.framesHeard, lastSpeechAt: this.lastSpeechAt?.toISOString() ?? null },
      lastHeard: this.lastHeard,
      lastSaid: this.lastSaid,
      lastError: this.lastError,
      audio: this.audio,
    };
  }

  /**
   * The session's final transcript lines so far (the last TRANSCRIPT_KEPT), oldest first: a
   * console that connects late or reconnects still shows the conversation from its start.
   */
  transcript(): readonly TranscriptEvent[] {
    return [...this.finalLines];
  }

  /** Every state change and transcript from now on; returns the unsubscribe. */
  subscribe(listener: (event: RoomEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the agent is in the room and TEN's websocket answered; rejects with the BridgeError a POST answers. */
  start(): Promise<void> {
    this.starting ??= this.startOnce();
    return this.starting;
  }

  /** Stops the agent (DELETE, empty room, shutdown); resolves with the final state. */
  stop(reason: string): Promise<RoomState> {
    return this.end('stopped', reason);
  }

  /** The room's lease is gone (another replica may run it now): end without delay. */
  lose(reason: string): void {
    void this.end('failed', reason, new BridgeError(502, reason, 'lease_lost'));
  }

  private async startOnce(): Promise<void> {
    const clock = performance.now();
    const running = this.run();
    this.runSettled = running.then(
      () => undefined,
      () => undefined,
    );
    let outcome = 'active';
    try {
      const error = await running.then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      if (error === undefined && this.ending === undefined) {
        this.setState('active');
        this.options.claim.update({ state: 'active' });
        this.log().info({ startMs: Math.round(performance.now() - clock) }, 'agent active');
        // Nobody may be in the room yet (or ever): the grace period then runs from now.
        if (this.participants.length === 0) this.armGrace();
        return;
      }
      if (this.ending === undefined) {
        const failure = asBridgeError(error);
        await this.end('failed', failure.message, failure);
      } else {
        await this.ending;
      }
      const failure = this.failure ?? new BridgeError(409, `the agent in room ${this.room} was stopped before it was active (${this.lastStopReason})`, 'stopped');
      outcome = failure.outcome;
      throw failure;
    } finally {
      this.options.metrics.starts.inc({ outcome });
      this.options.metrics.startDuration.observe({ outcome }, (performance.now() - clock) / 1000);
    }
  }

  /** The steps of a start; each resource taken is recorded, so `end` can release it whatever step failed. */
  private async run(): Promise<void> {
    const { config, joiner, metrics } = this.options;
    const log = this.log();
    log.info('starting agent');
    const jwt = await mintAgentJwt(config, this.room);
    this.throwIfEnding();
    await this.stopReplacedSession();
    this.throwIfEnding();

    const seat = await this.startOnTen();
    // The deadline counts from /start, since that is when the worker began to boot.
    const connectDeadline = Date.now() + config.TEN_CONNECT_TIMEOUT_SECONDS * 1000;
    log.info({ ten: seat.replica.name, port: seat.port, graph: config.TEN_AGENT_GRAPH }, 'TEN session started');
    this.schedulePing();
    this.throwIfEnding();

    try {
      this.joined = await joiner.join(
        { room: this.room, jwt, displayName: config.AGENT_DISPLAY_NAME, sessionId: this.sessionId },
        {
          onFrame: (frame, capturedAt) => this.heard(frame, capturedAt),
          onDropped: (direction, frames) => metrics.framesDropped.inc({ direction }, frames),
          onParticipants: (participants) => this.participantsChanged(participants),
          onLeft: (reason) => void this.end('failed', `the agent left room ${this.room}: ${reason}`),
        },
      );
    } catch (error) {
      throw new BridgeError(502, `could not join room ${this.room}: ${(error as Error).message}`, 'join');
    }
    log.info({ participants: this.participants.length }, 'joined room');
    this.throwIfEnding();

    const url = `ws://${hostForUrl(seat.replica.workerHost)}:${seat.port}`;
    let attempts = 0;
    this.socket = await connectTenSocket(url, {
      deadlineAt: connectDeadline,
      timeoutSeconds: config.TEN_CONNECT_TIMEOUT_SECONDS,
      signal: this.abort.signal,
      onAttempt: (result, attempt, detail) => {
        attempts = attempt;
        metrics.tenSocketConnectAttempts.inc({ result });
        log.debug({ attempt, result, detail }, 'TEN websocket attempt');
      },
    });
    this.socket.listen({
      onMessage: (message, receivedAt) => this.fromTen(message, receivedAt),
      onClosed: (problem) => void this.end('failed', problem, new BridgeError(502, problem, 'ten_socket')),
    });
    log.info({ url, attempts }, 'TEN websocket connected');
    this.throwIfEnding();
  }

  /**
   * Seats the session on a TEN replica and starts it there. A replica at its worker limit, or
   * one that does not answer, is skipped for the next; none left is a 503 naming each one's state.
   */
  private async startOnTen(): Promise<TenSeat> {
    const { config, claim } = this.options;
    const excluded = new Map<string, string>();
    let lastError: TenError | undefined;
    for (;;) {
      const seat = await claim.seat(excluded).catch((error: unknown) => {
        // With one replica its own error says it best; with several, the seat's sentence names each.
        throw lastError !== undefined && this.options.tenReplicas.length === 1 ? lastError : error;
      });
      this.seat = seat;
      const request = {
        requestId: this.sessionId,
        channel: this.room,
        graph: config.TEN_AGENT_GRAPH,
        timeoutSeconds: config.TEN_SESSION_TIMEOUT_SECONDS,
        websocketHost: config.TEN_WORKER_BIND_HOST,
        websocketPort: seat.port,
      };
      try {
        // Not abortable: once /start is sent TEN may run a worker, so its answer is awaited and
        // the session stopped on TEN if it started.
        await seat.replica.client.start(request);
        this.tenStarted = true;
        claim.update({ ten: { name: seat.replica.name, port: seat.port } });
        return seat;
      } catch (error) {
        this.seat = undefined;
        const skip = error instanceof TenError && (error.code === TEN_CODE.workersLimit || error.code === undefined);
        if (skip && error.code === undefined) {
          // Its answer may have been lost after it started a worker: stop that, at no cost if not.
          await seat.replica.client.stop(this.room, this.sessionId).catch(() => undefined);
        }
        await claim.unseat(seat);
        if (!skip || this.ending !== undefined) throw error;
        lastError = error;
        const reason = error.code === TEN_CODE.workersLimit ? 'at its workers limit' : 'not answering';
        excluded.set(seat.replica.name, reason);
        this.log().warn({ ten: seat.replica.name, err: (error as Error).message }, `TEN replica ${reason}; trying another`);
      }
    }
  }

  /** A session lost with its bridge replica may still run on TEN (until its timeout): stop it first. */
  private async stopReplacedSession(): Promise<void> {
    const replaced = this.options.claim.replaced;
    if (replaced === undefined) return;
    this.options.metrics.roomsTakenOver.inc();
    const replica = this.options.tenReplicas.find((candidate) => candidate.name === replaced.ten?.name);
    this.log().warn({ replacedSession: replaced.sessionId, replacedReplica: replaced.replicaId, ten: replica?.name }, 'taking over a room lost with its bridge replica');
    if (replica === undefined) return;
    try {
      await replica.client.stop(this.room, replaced.sessionId);
    } catch (error) {
      // Already gone is the usual case (TEN reaped it, or the whole replica went with it).
      if (!(error instanceof TenError && error.code === TEN_CODE.channelNotExisted)) {
        this.log().warn({ err: (error as Error).message }, 'could not stop the replaced TEN session');
      }
    }
  }

  private throwIfEnding(): void {
    if (this.ending !== undefined) throw new BridgeError(409, `the agent in room ${this.room} was stopped while starting`, 'stopped');
  }

  /** Runs once; the first caller decides whether the session stopped or failed. */
  private end(outcome: 'stopped' | 'failed', reason: string, failure?: BridgeError): Promise<RoomState> {
    this.ending ??= (async () => {
      const log = this.log();
      this.lastStopReason = reason;
      if (outcome === 'failed') {
        this.lastError = reason;
        this.failure = failure ?? new BridgeError(502, reason, 'failed');
        log.error({ reason }, 'agent failed');
      } else {
        log.info({ reason }, 'stopping agent');
      }
      this.abort.abort();
      this.setState('stopping');
      // The start's steps stop at the next check; whatever they took is released below.
      await this.runSettled;
      await this.release();
      this.setState(outcome);
      log.info({ state: outcome }, outcome === 'stopped' ? 'agent stopped' : 'agent failed and released');
      this.listeners.clear();
      this.options.onEnded(this);
      return this.snapshot();
    })();
    return this.ending;
  }

  private async release(): Promise<void> {
    const log = this.log();
    clearTimeout(this.pingTimer);
    clearTimeout(this.graceTimer);
    const socket = this.socket;
    this.socket = undefined;
    await socket?.close();
    const joined = this.joined;
    const leaving = (async () => {
      if (joined === undefined) return;
      try {
        this.audio = joined.stats();
      } catch {
        // Keep the last figures.
      }
      try {
        await joined.leave();
        log.info('left room');
      } catch (error) {
        log.warn({ err: (error as Error).message }, 'leaving the room failed');
      }
    })();
    const stoppingTen = (async () => {
      if (!this.tenStarted || this.seat === undefined) return;
      try {
        await this.seat.replica.client.stop(this.room, this.sessionId);
        log.info('TEN session stopped');
      } catch (error) {
        // Already gone (reaped, or its worker exited) is what stopping wanted.
        if (error instanceof TenError && error.code === TEN_CODE.channelNotExisted) return;
        const message = (error as Error).message;
        log.error({ err: message }, 'stopping the TEN session failed');
        this.lastError ??= message;
      } finally {
        this.tenStarted = false;
      }
    })();
    await Promise.all([leaving, stoppingTen]);
    // The seat is given back only now: the worker held its port until /stop returned.
    await this.options.claim.release({ state: this.failure === undefined ? 'stopped' : 'failed', lastError: this.lastError });
  }

  /** /ping after /ping, one at a time, on the cadence that keeps TEN's reaper away. */
  private schedulePing(): void {
    const interval = pingIntervalMs(this.options.config);
    const ping = async () => {
      if (this.ending !== undefined) return;
      try {
        await (this.seat as TenSeat).replica.client.ping(this.room, this.sessionId);
      } catch (error) {
        const gone = error instanceof TenError && error.code === TEN_CODE.channelNotExisted;
        const unreachable = error instanceof TenError && error.code === undefined;
        this.options.metrics.pingFailures.inc({ reason: gone ? 'session_gone' : unreachable ? 'unreachable' : 'other' });
        if (gone) {
          const reason = `TEN no longer has a session for room ${this.room} (10002 channel not existed on /ping): its worker exited or was stopped`;
          void this.end('failed', reason, new BridgeError(502, reason, 'ten'));
          return;
        }
        // TEN stops the session itself if this goes on past its timeout; the socket's close then ends it here.
        this.log().warn({ err: (error as Error).message }, 'TEN /ping failed');
      }
      if (this.ending === undefined) this.pingTimer = setTimeout(() => void ping(), interval);
    };
    this.pingTimer = setTimeout(() => void ping(), interval);
  }

  private heard(frame: Buffer, capturedAt: number): void {
    if (this.ending !== undefined) return;
    const { metrics } = this.options;
    this.framesHeard += 1;
    if (isSpeech(frame)) this.lastSpeechAt = new Date();
    this.responses.heard(frame, capturedAt);
    // Before the websocket answers there is nowhere to send it, and stale audio is not worth
    // keeping for later: the frame is dropped, as it is when TEN does not read (sendFrame false).
    if (this.socket?.sendFrame(frame) === true) {
      metrics.framesToTen.inc();
      metrics.addedLatency.observe({ direction: 'to_ten' }, Math.max(0, performance.now() - capturedAt) / 1000);
    } else {
      metrics.framesDropped.inc({ direction: 'to_ten' });
    }
  }

  private participantsChanged(participants: ReadonlyArray<{ id: string; displayName: string }>): void {
    if (this.ending !== undefined) return;
    this.participants = participants.map(({ id, displayName }) => ({ id, displayName }));
    this.log().info({ participants: this.participants.length }, 'participants changed');
    // While starting, an empty room is not yet a reason to stop: the grace runs once active.
    if (this.participants.length === 0 && this.state === 'active') this.armGrace();
    else {
      clearTimeout(this.graceTimer);
      this.graceTimer = undefined;
    }
    this.emitState();
  }

  private armGrace(): void {
    if (this.graceTimer !== undefined) return;
    const graceSeconds = this.options.config.EMPTY_ROOM_GRACE_SECONDS;
    this.graceTimer = setTimeout(() => void this.stop(`room ${this.room} had no people for ${graceSeconds} s (EMPTY_ROOM_GRACE_SECONDS)`), graceSeconds * 1000);
  }

  private fromTen(message: TenMessage, receivedAt: number): void {
    if (this.ending !== undefined) return;
    const { metrics } = this.options;
    switch (message.kind) {
      case 'audio': {
        this.joined?.play(message.pcm, message.sampleRate);
        const handedAt = performance.now();
        metrics.framesFromTen.inc();
        metrics.addedLatency.observe({ direction: 'to_room' }, (handedAt - receivedAt) / 1000);
        const waited = this.responses.agentAudio(message.pcm, handedAt);
        if (waited !== undefined) metrics.responseLatency.observe(waited);
        return;
      }
      case 'flush':
        this.joined?.flush();
        this.responses.flushed();
        metrics.flushes.inc();
        this.log().debug('flush (barge-in)');
        return;
      case 'transcript': {
        const { role, text, final } = message.transcript;
        const transcript: TranscriptEvent = { role, text, final, at: new Date().toISOString() };
        this.emit({ type: 'transcript', transcript });
        if (!final) return;
        this.finalLines.push(transcript);
        if (this.finalLines.length > TRANSCRIPT_KEPT) this.finalLines.shift();
        if (role === 'user') this.lastHeard = text;
        else this.lastSaid = text;
        this.emitState();
        return;
      }
      case 'error':
        this.log().warn({ error: message.error }, 'TEN websocket_server refused a message');
        return;
      case 'ignored':
        this.log().debug({ what: message.what }, 'TEN message not for the bridge');
        return;
      case 'invalid':
        this.log().warn({ problem: message.problem }, 'TEN sent something that is not websocket_server protocol');
        return;
    }
  }

  private setState(state: SessionState): void {
    if (this.state === state) return;
    this.state = state;
    this.emitState();
  }

  private emitState(): void {
    this.emit({ type: 'state', state: this.snapshot() });
  }

  private emit(event: RoomEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private log(): Logger {
    return this.options.logger;
  }
}
