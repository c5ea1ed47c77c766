import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../mcp-server/test/helpers/mcp.ts';
import { migrate } from '../lib/history/migrations.ts';
import { HistoryStore } from '../lib/history/store.ts';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url });
  // DROP DATABASE … WITH (FORCE) ends connections the pool is still closing; that is expected here.
  pool.on('error', () => undefined);
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

describe('history migrations', () => {
  it('apply once, even when replicas start together', async () => {
    const results = await Promise.all([migrate(pool), migrate(pool), migrate(pool)]);
    expect(results.flat()).toEqual([1]);
    expect(await migrate(pool)).toEqual([]);
    const { rows } = await pool.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'console_%' ORDER BY 1");
    expect(rows.map((row) => row.table_name)).toEqual(['console_agent_sessions', 'console_schema_migrations', 'console_tool_calls']);
  });
});

describe('history store', () => {
  it('keeps each user to their own agent sessions, newest first, with durations', async () => {
    const history = new HistoryStore(pool);
    const first = await history.agentStarted('ada', 'room-one', 'voice_assistant', new Date(Date.now() + 60_000));
    await pool.query("UPDATE console_agent_sessions SET started_at = now() - interval '95 seconds' WHERE id = $1", [first]);
    await history.agentStopped(first, 'stopped');
    const second = await history.agentStarted('ada', 'room-two', 'voice_assistant', new Date(Date.now() + 60_000));
    await history.agentStarted('grace', 'room-three', 'voice_assistant', new Date(Date.now() + 60_000));

    const sessions = await history.agentSessions('ada');
    expect(sessions.map((session) => session.room)).toEqual(['room-two', 'room-one']);
    expect(sessions[0]).toMatchObject({ id: second, room: 'room-two' });
    expect(sessions[0]?.stoppedAt).toBeUndefined();
    expect(sessions[1]).toMatchObject({ room: 'room-one', stopReason: 'stopped' });
    expect(sessions[1]?.durationSeconds).toBeGreaterThanOrEqual(95);
    expect(sessions[1]?.durationSeconds).toBeLessThan(100);
  });

  it('ends an abandoned session where its keep-alive ran out, and stops counting a stopped one twice', async () => {
    const history = new HistoryStore(pool);
    const id = await history.agentStarted('lin', 'room-four', 'voice_assistant', new Date(Date.now() - 1_000));
    await pool.query("UPDATE console_agent_sessions SET started_at = now() - interval '121 seconds' WHERE id = $1", [id]);
    const [abandoned] = await history.agentSessions('lin');
    expect(abandoned).toMatchObject({ stopReason: 'keep-alive ran out' });
    expect(abandoned?.durationSeconds).toBeGreaterThanOrEqual(119);

    await history.agentStopped(id, 'stopped');
    await history.agentStopped(id, 'stopped again');
    const { rows } = await pool.query('SELECT stop_reason FROM console_agent_sessions WHERE id = $1', [id]);
    expect(rows[0]).toEqual({ stop_reason: 'stopped' });
  });

  it('records tool calls with their arguments and a bounded result', async () => {
    const history = new HistoryStore(pool);
    await history.toolCalled('ada', { tool: 'lookup_order', arguments: { order_id: 'A-1001' }, resultText: 'x'.repeat(10_000), isError: false, durationMs: 12.4 });
    await history.toolCalled('ada', { tool: 'send_slack_message', arguments: { text: 'hi' }, resultText: 'Slack message did not accept that request.', isError: true, durationMs: 3 });
    await history.toolCalled('grace', { tool: 'lookup_order', arguments: {}, resultText: 'other user', isError: false, durationMs: 1 });

    const calls = await history.toolCalls('ada');
    expect(calls.map((call) => call.tool)).toEqual(['send_slack_message', 'lookup_order']);
    expect(calls[0]).toMatchObject({ isError: true, arguments: { text: 'hi' }, durationMs: 3 });
    expect(calls[1]?.resultText).toHaveLength(4_000);
    expect(calls[1]?.durationMs).toBe(12);
  });
});
