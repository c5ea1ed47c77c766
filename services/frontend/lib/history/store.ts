import type { Pool } from 'pg';
import { MARKER, storableJson, storableText } from './storable.ts';

/** One agent session in a user's history, as the browser sees it. */
export interface AgentSessionRecord {
  readonly id: string;
  readonly room: string;
  readonly graph: string;
  readonly startedAt: string;
  /** When it stopped, or when the console last saw it running (an end it never learned of); undefined while it runs. */
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

/**
 * What the console writes to history. Every entry carries the whole row and writing it is an
 * idempotent upsert that commutes with the other writes of the same row, so an entry kept in the
 * outbox can be written late, twice, or after a newer one, and history still ends up right.
 * Times are ISO strings so an entry survives a trip through JSON.
 */
export type HistoryEntry = ToolCallEntry | AgentSessionEntry;

/** A tool call as the browser sees it, plus whose it was and the request it answered. */
export interface ToolCallEntry extends ToolCallRecord {
  readonly kind: 'tool-call';
  /** The browser's request id for the user's action. */
  readonly requestId: string;
  readonly userSub: string;
}

export interface AgentSessionEntry {
  readonly kind: 'agent-session';
  readonly id: string;
  readonly userSub: string;
  readonly room: string;
  readonly graph: string;
  readonly startedAt: string;
  readonly keepaliveUntil: string;
  readonly stoppedAt?: string;
  readonly stopReason?: string;
}

/** Longest tool result text kept in history. */
const MAX_RESULT_TEXT = 4_000;
/** SQLSTATE class 22, data exception: the row itself is the problem, retrying will not help. */
const isDataException = (error: unknown) => String((error as { code?: unknown }).code ?? '').startsWith('22');

/** The console's history in Postgres: agent sessions and tool calls, per user. */
export class HistoryStore {
  constructor(private readonly pool: Pool) {}

  async write(entry: HistoryEntry): Promise<void> {
    if (entry.kind === 'agent-session') return this.writeAgentSession(entry);
    try {
      await this.writeToolCall(entry, storableJson(entry.arguments));
    } catch (error) {
      // Whatever about these arguments Postgres still refuses, the call itself is kept.
      if (!isDataException(error)) throw error;
      await this.writeToolCall(entry, { [MARKER]: 'the arguments could not be kept' });
    }
  }

  private async writeToolCall(entry: ToolCallEntry, args: unknown): Promise<void> {
    await this.pool.query(
      `INSERT INTO console_tool_calls (id, request_id, user_sub, tool, arguments, result_text, is_error, duration_ms, called_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
      [
        entry.id,
        storableText(entry.requestId),
        storableText(entry.userSub),
        storableText(entry.tool),
        JSON.stringify(args),
        storableText(entry.resultText.slice(0, MAX_RESULT_TEXT)),
        entry.isError,
        Math.round(entry.durationMs),
        entry.calledAt,
      ],
    );
  }

  /** Keeps the latest keep-alive and the first stop, whatever order the writes arrive in. */
  private async writeAgentSession(entry: AgentSessionEntry): Promise<void> {
    await this.pool.query(
      `INSERT INTO console_agent_sessions (id, user_sub, room, graph, started_at, keepalive_until, stopped_at, stop_reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO UPDATE SET
         keepalive_until = GREATEST(console_agent_sessions.keepalive_until, EXCLUDED.keepalive_until),
         stopped_at = COALESCE(console_agent_sessions.stopped_at, EXCLUDED.stopped_at),
         stop_reason = CASE WHEN console_agent_sessions.stopped_at IS NULL THEN EXCLUDED.stop_reason ELSE console_agent_sessions.stop_reason END`,
      [
        entry.id,
        storableText(entry.userSub),
        storableText(entry.room),
        storableText(entry.graph),
        entry.startedAt,
        entry.keepaliveUntil,
        entry.stoppedAt ?? null,
        entry.stopReason === undefined ? null : storableText(entry.stopReason),
      ],
    );
  }

  /**
   * The user's newest agent sessions. `keepalive_until` is where the console last saw one running
   * (plus a margin, see AgentSessions): one whose end the console never learned of ends there.
   */
  async agentSessions(userSub: string, limit = 20): Promise<AgentSessionRecord[]> {
    const { rows } = await this.pool.query<{ id: string; room: string; graph: string; started_at: Date; ended_at: Date | null; reason: string | null }>(
      `SELECT id, room, graph, started_at,
              COALESCE(stopped_at, CASE WHEN keepalive_until < now() THEN keepalive_until END) AS ended_at,
              COALESCE(stop_reason, CASE WHEN keepalive_until < now() THEN 'last seen running' END) AS reason
         FROM console_agent_sessions WHERE user_sub = $1 ORDER BY started_at DESC LIMIT $2`,
      [storableText(userSub), limit],
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
      [storableText(userSub), limit],
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
