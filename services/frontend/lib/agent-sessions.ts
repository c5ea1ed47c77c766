import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { HistoryRecorder } from './history/recorder.ts';
import type { AgentSessionEntry } from './history/store.ts';
import { RequestRefused } from './request-refused.ts';
import { ONLY_STARTER_OR_MODERATOR, type RoomAccess } from './room-access.ts';
import type { SessionUser } from './session.ts';
import { TenAgentError, type TenAgentClient } from './ten-agent.ts';

/** A room's running agent, as kept in Redis so every console replica sees the same state. */
export interface AgentState {
  readonly room: string;
  readonly historyId: string;
  readonly startedBy: string;
  readonly startedAt: number;
  /** The agent server stops the agent at this time unless it is pinged again. */
  readonly keepaliveUntil: number;
}

const KEY_PREFIX = 'console:agent:';
/** Marks a start in progress, so two clicks (or two users) cannot start two agents for one room. */
const STARTING = 'starting';

export class AgentSessions {
  constructor(
    private readonly redis: Redis,
    private readonly ten: TenAgentClient,
    private readonly history: HistoryRecorder,
    private readonly rooms: RoomAccess,
    private readonly graph: string,
    /** The agent server's timeout without pings, in seconds. */
    private readonly timeoutSeconds: number,
  ) {}

  async state(room: string): Promise<AgentState | undefined> {
    const stored = await this.redis.get(KEY_PREFIX + room);
    return stored === null || stored === STARTING ? undefined : (JSON.parse(stored) as AgentState);
  }

  /** Whether the user may ping or stop the agent running in the room. */
  async mayControl(state: AgentState, user: SessionUser): Promise<boolean> {
    return this.rooms.mayControlAgent(state.room, user, state.startedBy);
  }

  /** Any user who may join the room may start its agent; opening the room may make them its owner. */
  async start(room: string, user: SessionUser): Promise<AgentState> {
    await this.rooms.open(room, user);
    const key = KEY_PREFIX + room;
    const claimed = await this.redis.set(key, STARTING, 'EX', 30, 'NX');
    if (claimed === null) throw new TenAgentError('The voice agent is already running in this room.', '10003');
    try {
      await this.ten.start(room, randomUUID());
    } catch (error) {
      await this.redis.del(key);
      throw error;
    }
    const now = Date.now();
    const state: AgentState = { room, historyId: randomUUID(), startedBy: user.sub, startedAt: now, keepaliveUntil: now + this.timeoutSeconds * 1000 };
    await this.redis.set(key, JSON.stringify(state), 'PX', state.keepaliveUntil - now);
    await this.history.record(this.entry(state));
    return state;
  }

  /** Keeps the room's agent alive for another timeout period. */
  async ping(room: string, user: SessionUser): Promise<AgentState> {
    const state = await this.controlled(room, user);
    try {
      await this.ten.ping(room, randomUUID());
    } catch (error) {
      // The agent server no longer has it (it timed out or restarted): so it ended.
      if (error instanceof TenAgentError && error.code === '10002') await this.end(state, 'ended by the agent server');
      throw error;
    }
    const renewed: AgentState = { ...state, keepaliveUntil: Date.now() + this.timeoutSeconds * 1000 };
    await this.redis.set(KEY_PREFIX + room, JSON.stringify(renewed), 'PX', renewed.keepaliveUntil - Date.now());
    await this.history.record(this.entry(renewed));
    return renewed;
  }

  async stop(room: string, user: SessionUser): Promise<void> {
    const state = await this.controlled(room, user);
    try {
      await this.ten.stop(room, randomUUID());
    } catch (error) {
      // Already gone on the agent server: stopping it is done either way.
      if (!(error instanceof TenAgentError && error.code === '10002')) throw error;
    }
    await this.end(state, 'stopped');
  }

  /** The room's running agent, when this user may control it: 409 when none runs, 403 when not theirs to control. */
  private async controlled(room: string, user: SessionUser): Promise<AgentState> {
    const state = await this.state(room);
    if (state === undefined) throw new TenAgentError('The voice agent is not running in this room.', '10002');
    if (!(await this.mayControl(state, user))) throw new RequestRefused(403, ONLY_STARTER_OR_MODERATOR);
    return state;
  }

  private async end(state: AgentState, reason: string): Promise<void> {
    await this.redis.del(KEY_PREFIX + state.room);
    await this.history.record({ ...this.entry(state), stoppedAt: new Date().toISOString(), stopReason: reason });
  }

  /** The whole history row of this agent session as it stands (see HistoryEntry). */
  private entry(state: AgentState): AgentSessionEntry {
    return {
      kind: 'agent-session',
      id: state.historyId,
      userSub: state.startedBy,
      room: state.room,
      graph: this.graph,
      startedAt: new Date(state.startedAt).toISOString(),
      keepaliveUntil: new Date(state.keepaliveUntil).toISOString(),
    };
  }
}
