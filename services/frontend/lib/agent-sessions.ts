import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AGENT_NOT_RUNNING, AgentBridgeError, isRunning, type AgentBridgeClient, type BridgeRoomState } from './agent-bridge.ts';
import type { HistoryRecorder } from './history/recorder.ts';
import type { AgentSessionEntry } from './history/store.ts';
import { RequestRefused } from './request-refused.ts';
import { ONLY_STARTER_OR_MODERATOR, type RoomAccess } from './room-access.ts';
import type { SessionUser } from './session.ts';

/**
 * The agent session the console started in a room, kept in Redis so every replica knows who
 * started it (they may stop it) and which history row is its. The bridge is the truth about
 * whether it still runs: every time the console looks (a state read, the event stream, a
 * start, a stop) a session the bridge no longer has is ended in history.
 */
export interface AgentRecord {
  readonly room: string;
  readonly historyId: string;
  /** The bridge's id of this session: a later session in the same room is another one. */
  readonly sessionId: string;
  /** The TEN graph the bridge runs it with; absent in records written before the bridge said. */
  readonly graph?: string;
  readonly startedBy: string;
  readonly startedAt: number;
  /** Until when history shows it running if the console hears nothing more (see SEEN_MS). */
  readonly seenUntil: number;
  /** Someone asked the console to stop it, so its end is "stopped" whoever records it first. */
  readonly stopRequested?: true;
}

const KEY_PREFIX = 'console:agent:';
/** Marks a start in progress, so two clicks (or two users) cannot start two sessions for one room. */
const STARTING = 'starting';
/** Longer than the bridge client's start timeout, so the mark outlives every start that is still going. */
const STARTING_TTL_SECONDS = 90;
/** How long Redis keeps a record nobody looks at; each look renews it. */
const RECORD_TTL_SECONDS = 24 * 60 * 60;
/**
 * History shows a session as running until the console last saw it running plus this much.
 * If the bridge ends a session while nobody looks (no page open, the bridge restarted), history
 * ends it there instead of "running" forever; the next look renews it if it does run.
 */
export const SEEN_MS = 2 * 60_000;
/** History's graph for a record that predates the bridge naming its graph. */
const GRAPH_UNKNOWN = 'unknown';

/**
 * Ends a record only if it is still the same session: of two replicas (or a stop and the event
 * stream) that learn of one end, one writes it to history.
 */
const TAKE_RECORD = `
local stored = redis.call('GET', KEYS[1])
if not stored or string.sub(stored, 1, 1) ~= '{' then return 0 end
if cjson.decode(stored).historyId ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`;

/** What the console knows of the agent in a room: its own record (when it started it) and the bridge's state. */
export interface AgentInRoom {
  readonly record: AgentRecord | undefined;
  /** Undefined when the bridge has no agent in the room. */
  readonly state: BridgeRoomState | undefined;
}

export class AgentSessions {
  constructor(
    private readonly redis: Redis,
    private readonly bridge: AgentBridgeClient,
    private readonly history: HistoryRecorder,
    private readonly rooms: RoomAccess,
  ) {}

  /** The agent in the room as the bridge has it now; a session the console recorded and the bridge no longer has is ended. */
  async inRoom(room: string): Promise<AgentInRoom> {
    const record = await this.record(room);
    const state = await this.bridge.state(room);
    if (record === undefined) return { record, state };
    if (!isRunning(state) || state.sessionId !== record.sessionId) {
      await this.end(record, state?.sessionId === record.sessionId ? state : undefined);
      return { record: undefined, state };
    }
    return { record: await this.seen(record), state };
  }

  /** Whether the user may stop the agent: its starter and the room's moderators; a session the console did not start, moderators only. */
  async mayControl(room: string, record: AgentRecord | undefined, user: SessionUser): Promise<boolean> {
    return record !== undefined ? this.rooms.mayControlAgent(room, user, record.startedBy) : this.rooms.isModerator(room, user);
  }

  /** Any user who may join the room may start its agent; opening the room may make them its owner. */
  async start(room: string, user: SessionUser): Promise<BridgeRoomState> {
    await this.rooms.open(room, user);
    const current = await this.inRoom(room);
    if (current.record !== undefined) throw new RequestRefused(409, 'The voice agent is already in this room.');
    const key = KEY_PREFIX + room;
    if ((await this.redis.set(key, STARTING, 'EX', STARTING_TTL_SECONDS, 'NX')) === null) {
      throw new RequestRefused(409, 'The voice agent is already on its way into this room.');
    }
    let state: BridgeRoomState;
    try {
      ({ state } = await this.bridge.start(room));
    } catch (error) {
      await this.redis.del(key);
      throw error;
    }
    // An agent the bridge already had (started by hand, or by a start whose record was lost) becomes this user's session.
    const now = Date.now();
    const startedAt = Date.parse(state.startedAt);
    const record: AgentRecord = {
      room,
      historyId: randomUUID(),
      sessionId: state.sessionId,
      graph: state.graph,
      startedBy: user.sub,
      startedAt: Number.isNaN(startedAt) ? now : startedAt,
      seenUntil: now + SEEN_MS,
    };
    await this.redis.set(key, JSON.stringify(record), 'EX', RECORD_TTL_SECONDS);
    await this.history.record(this.entry(record));
    return state;
  }

  /** Takes the agent out of the room: its starter or a moderator; 404 to anyone when there is none. */
  async stop(room: string, user: SessionUser): Promise<BridgeRoomState | undefined> {
    const key = KEY_PREFIX + room;
    if ((await this.redis.get(key)) === STARTING) throw new RequestRefused(409, 'The voice agent is still on its way into this room; stop it once it is there.');
    const { record, state } = await this.inRoom(room);
    if (!isRunning(state)) throw new AgentBridgeError(AGENT_NOT_RUNNING, 404, 'not-running');
    if (!(await this.mayControl(room, record, user))) throw new RequestRefused(403, ONLY_STARTER_OR_MODERATOR);
    if (record !== undefined) await this.redis.set(key, JSON.stringify({ ...record, stopRequested: true } satisfies AgentRecord), 'KEEPTTL', 'XX');
    const stopped = await this.bridge.stop(room);
    if (record !== undefined) await this.end({ ...record, stopRequested: true }, stopped);
    return stopped;
  }

  /** The event stream saw the agent (a state or a heartbeat): history keeps showing it running. */
  async sawRunning(room: string, sessionId: string): Promise<void> {
    const record = await this.record(room);
    if (record?.sessionId === sessionId) await this.seen(record);
  }

  /** The event stream saw the session's final state: history records its end. */
  async sawEnd(state: BridgeRoomState): Promise<void> {
    const record = await this.record(state.room);
    if (record?.sessionId === state.sessionId) await this.end(record, state);
  }

  private async record(room: string): Promise<AgentRecord | undefined> {
    const stored = await this.redis.get(KEY_PREFIX + room);
    return stored === null || stored === STARTING ? undefined : (JSON.parse(stored) as AgentRecord);
  }

  /** Renews how long history shows the session running, at most once per half of SEEN_MS. */
  private async seen(record: AgentRecord): Promise<AgentRecord> {
    const now = Date.now();
    if (record.seenUntil - now > SEEN_MS / 2) return record;
    const renewed: AgentRecord = { ...record, seenUntil: now + SEEN_MS };
    const replaced = await this.redis.set(KEY_PREFIX + record.room, JSON.stringify(renewed), 'EX', RECORD_TTL_SECONDS, 'XX');
    if (replaced !== null) await this.history.record(this.entry(renewed));
    return renewed;
  }

  /**
   * Ends the session in history, once. `final` is the bridge's last state of this session when
   * the console saw it; without it (the bridge no longer knows the session) the end is not
   * known, and history puts it where the console last saw the session running.
   */
  private async end(record: AgentRecord, final: BridgeRoomState | undefined): Promise<void> {
    const taken = await this.redis.eval(TAKE_RECORD, 1, KEY_PREFIX + record.room, record.historyId);
    if (taken !== 1) return;
    const stoppedAt = final !== undefined ? Date.now() : Math.min(Date.now(), record.seenUntil);
    await this.history.record({ ...this.entry(record), stoppedAt: new Date(stoppedAt).toISOString(), stopReason: stopReason(record, final) });
  }

  /** The whole history row of this agent session as it stands (see HistoryEntry). */
  private entry(record: AgentRecord): AgentSessionEntry {
    return {
      kind: 'agent-session',
      id: record.historyId,
      userSub: record.startedBy,
      room: record.room,
      graph: record.graph ?? GRAPH_UNKNOWN,
      startedAt: new Date(record.startedAt).toISOString(),
      keepaliveUntil: new Date(record.seenUntil).toISOString(),
    };
  }
}

/** Why a session ended, in history's words. */
function stopReason(record: AgentRecord, final: BridgeRoomState | undefined): string {
  if (record.stopRequested === true) return 'stopped';
  if (final?.state === 'failed' || final?.state === 'lost') return final.lastError !== null ? `${final.state}: ${final.lastError}` : final.state;
  return 'ended by the agent bridge';
}
