import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';

/** One agent session in a user's history. */
export interface AgentSessionRecord {
  readonly id: string;
  readonly room: string;
  readonly graph: string;
  readonly startedAt: string;
  /** When it stopped, or when its keep-alive ran out; undefined while it runs. */
  readonly stoppedAt?: string;
  readonly stopReason?: string;
  readonly durationSeconds?: number;
}

export interface ToolCallRecord {
  readonly id: string;
  readonly tool: string;
  readonly arguments: Record<string, unknown>;
  readonly resultText: string;
  readonly isError: boolean;
  readonly durationMs: number;
  readonly calledAt: string;
}

/** Longest tool result text kept in history. */
const MAX_RESULT_TEXT = 4_000;

/** The console's history in Postgres: agent sessions and tool calls, per user. */
export class HistoryStore {
  constructor(private readonly pool: Pool) {}

  async agentStarted(userSub: string, room: string, graph: string, keepaliveUntil: Date): Promise<string> {
    const id = randomUUID();
    await this.pool.query(
      'INSERT INTO console_agent_sessions (id, user_sub, room, graph, started_at, keepalive_until) VALUES ($1, $2, $3, $4, now(), $5)',
      [id, userSub, room, graph, keepaliveUntil],
    );
    return id;
  }

  async agentKeptAlive(id: string, keepaliveUntil: Date): Promise<void> {
    await this.pool.query('UPDATE console_agent_sessions SET keepalive_until = $2 WHERE id = $1 AND stopped_at IS NULL', [id, keepaliveUntil]);
  }

  async agentStopped(id: string, reason: string): Promise<void> {
    await this.pool.query('UPDATE console_agent_sessions SET stopped_at = now(), stop_reason = $2 WHERE id = $1 AND stopped_at IS NULL', [id, reason]);
  }

  async toolCalled(userSub: string, call: Omit<ToolCallRecord, 'id' | 'calledAt'>): Promise<void> {
    await this.pool.query(
      'INSERT INTO console_tool_calls (id, user_sub, tool, arguments, result_text, is_error, duration_ms, called_at) VALUES ($1, $2, $3, $4, $5, $6, $7, now())',
      [randomUUID(), userSub, call.tool, JSON.stringify(call.arguments), call.resultText.slice(0, MAX_RESULT_TEXT), call.isError, Math.round(call.durationMs)],
    );
  }

  /** The user's newest agent sessions; an abandoned one ends where its keep-alive ran out. */
  async agentSessions(userSub: string, limit = 20): Promise<AgentSessionRecord[]> {
    const { rows } = await this.pool.query<{ id: string; room: string; graph: string; started_at: Date; ended_at: Date | null; reason: string | null }>(
      `SELECT id, room, graph, started_at,
              COALESCE(stopped_at, CASE WHEN keepalive_until < now() THEN keepalive_until END) AS ended_at,
              COALESCE(stop_reason, CASE WHEN keepalive_until < now() THEN 'keep-alive ran out' END) AS reason
         FROM console_agent_sessions WHERE user_sub = $1 ORDER BY started_at DESC LIMIT $2`,
      [userSub, limit],
    );
    return rows.map((row) => ({
      id: row.id,
      room: row.room,
      graph: row.graph,
      startedAt: row.started_at.toISOString(),
      ...(row.ended_at !== null
        ? { stoppedAt: row.ended_at.toISOString(), stopReason: row.reason ?? 'stopped', durationSeconds: Math.max(0, Math.round((row.ended_at.getTime() - row.started_at.getTime()) / 1000)) }
        : {}),
    }));
  }

  async toolCalls(userSub: string, limit = 20): Promise<ToolCallRecord[]> {
    const { rows } = await this.pool.query<{ id: string; tool: string; arguments: Record<string, unknown>; result_text: string; is_error: boolean; duration_ms: number; called_at: Date }>(
      'SELECT id, tool, arguments, result_text, is_error, duration_ms, called_at FROM console_tool_calls WHERE user_sub = $1 ORDER BY called_at DESC LIMIT $2',
      [userSub, limit],
    );
    return rows.map((row) => ({
      id: row.id,
      tool: row.tool,
      arguments: row.arguments,
      resultText: row.result_text,
      isError: row.is_error,
      durationMs: row.duration_ms,
      calledAt: row.called_at.toISOString(),
    }));
  }
}
