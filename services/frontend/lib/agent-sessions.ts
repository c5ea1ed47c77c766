import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { HistoryStore } from './history/store.ts';
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
    private readonly history: HistoryStore,
    private readonly graph: string,
    /** The agent server's timeout without pings, in seconds. */
    private readonly timeoutSeconds: number,
  ) {}

  async state(room: string): Promise<AgentState | undefined> {
    const stored = await this.redis.get(KEY_PREFIX + room);
    return stored === null || stored === STARTING ? undefined : (JSON.parse(stored) as AgentState);
  }

  async start(room: string, user: SessionUser): Promise<AgentState> {
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
    const keepaliveUntil = now + this.timeoutSeconds * 1000;
    const historyId = await this.history.agentStarted(user.sub, room, this.graph, new Date(keepaliveUntil));
    const state: AgentState = { room, historyId, startedBy: user.sub, startedAt: now, keepaliveUntil };
    await this.redis.set(key, JSON.stringify(state), 'PX', keepaliveUntil - now);
    return state;
  }

  /** Keeps the room's agent alive for another timeout period. */
  async ping(room: string): Promise<AgentState> {
    const state = await this.state(room);
    if (state === undefined) throw new TenAgentError('The voice agent is not running in this room.', '10002');
    try {
      await this.ten.ping(room, randomUUID());
    } catch (error) {
      // The agent server no longer has it (it timed out or restarted): so it ended.
      if (error instanceof TenAgentError && error.code === '10002') await this.end(state, 'ended by the agent server');
      throw error;
    }
    const keepaliveUntil = Date.now() + this.timeoutSeconds * 1000;
    const renewed: AgentState = { ...state, keepaliveUntil };
    await this.redis.set(KEY_PREFIX + room, JSON.stringify(renewed), 'PX', keepaliveUntil - Date.now());
    await this.history.agentKeptAlive(state.historyId, new Date(keepaliveUntil));
    return renewed;
  }

  async stop(room: string): Promise<void> {
    const state = await this.state(room);
    if (state === undefined) throw new TenAgentError('The voice agent is not running in this room.', '10002');
    try {
      await this.ten.stop(room, randomUUID());
    } catch (error) {
      // Already gone on the agent server: stopping it is done either way.
      if (!(error instanceof TenAgentError && error.code === '10002')) throw error;
    }
    await this.end(state, 'stopped');
  }

  private async end(state: AgentState, reason: string): Promise<void> {
    await this.redis.del(KEY_PREFIX + state.room);
    await this.history.agentStopped(state.historyId, reason);
  }
}
