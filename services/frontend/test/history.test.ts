import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../mcp-server/test/helpers/mcp.ts';
import { migrate } from '../lib/history/migrations.ts';
import { HistoryStore, type AgentSessionEntry, type ToolCallEntry } from '../lib/history/store.ts';

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

/** An agent session as AgentSessions writes it when the agent starts. */
function agentStarted(userSub: string, room: string, keepaliveUntil: Date, startedAt = new Date()): AgentSessionEntry {
  return { kind: 'agent-session', id: randomUUID(), userSub, room, graph: 'voice_assistant', startedAt: startedAt.toISOString(), keepaliveUntil: keepaliveUntil.toISOString() };
}

const stopped = (entry: AgentSessionEntry, reason: string): AgentSessionEntry => ({ ...entry, stoppedAt: new Date().toISOString(), stopReason: reason });

function toolCall(userSub: string, call: Pick<ToolCallEntry, 'tool' | 'arguments' | 'resultText' | 'isError' | 'durationMs'>, calledAt = new Date()): ToolCallEntry {
  return { kind: 'tool-call', id: randomUUID(), requestId: randomUUID(), userSub, calledAt: calledAt.toISOString(), ...call };
}

describe('history migrations', () => {
  it('apply once, even when replicas start together', async () => {
    const results = await Promise.all([migrate(pool), migrate(pool), migrate(pool)]);
    expect(results.flat().sort()).toEqual([1, 2]);
    expect(await migrate(pool)).toEqual([]);
    const { rows } = await pool.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'console_%' ORDER BY 1");
    expect(rows.map((row) => row.table_name)).toEqual(['console_agent_sessions', 'console_schema_migrations', 'console_tool_calls']);
  });
});

describe('history store', () => {
  it('keeps each user to their own agent sessions, newest first, with durations', async () => {
    const history = new HistoryStore(pool);
    const first = agentStarted('ada', 'room-one', new Date(Date.now() + 60_000), new Date(Date.now() - 95_000));
    await history.write(first);
    await history.write(stopped(first, 'stopped'));
    const second = agentStarted('ada', 'room-two', new Date(Date.now() + 60_000));
    await history.write(second);
    await history.write(agentStarted('grace', 'room-three', new Date(Date.now() + 60_000)));

    const sessions = await history.agentSessions('ada');
    expect(sessions.map((session) => session.room)).toEqual(['room-two', 'room-one']);
    expect(sessions[0]).toMatchObject({ id: second.id, room: 'room-two' });
    expect(sessions[0]?.stoppedAt).toBeUndefined();
    expect(sessions[1]).toMatchObject({ room: 'room-one', stopReason: 'stopped' });
    expect(sessions[1]?.durationSeconds).toBeGreaterThanOrEqual(95);
    expect(sessions[1]?.durationSeconds).toBeLessThan(100);
  });

  it('ends a session whose end the console never learned of where it last saw it running, and stops counting a stopped one twice', async () => {
    const history = new HistoryStore(pool);
    const entry = agentStarted('lin', 'room-four', new Date(Date.now() - 1_000), new Date(Date.now() - 121_000));
    await history.write(entry);
    const [abandoned] = await history.agentSessions('lin');
    expect(abandoned).toMatchObject({ stopReason: 'last seen running' });
    expect(abandoned?.durationSeconds).toBeGreaterThanOrEqual(119);

    await history.write(stopped(entry, 'stopped'));
    await history.write(stopped(entry, 'stopped again'));
    const { rows } = await pool.query('SELECT stop_reason FROM console_agent_sessions WHERE id = $1', [entry.id]);
    expect(rows[0]).toEqual({ stop_reason: 'stopped' });
  });

  it('ends up right whatever order the writes of one session arrive in, and however often (the outbox replays them)', async () => {
    const history = new HistoryStore(pool);
    const started = agentStarted('mo', 'room-five', new Date(Date.now() + 30_000));
    const keptAlive = { ...started, keepaliveUntil: new Date(Date.now() + 90_000).toISOString() };
    const ended = stopped(keptAlive, 'stopped');
    for (const entry of [ended, started, keptAlive, started, ended]) await history.write(entry);
    const { rows } = await pool.query<{ keepalive_until: Date; stop_reason: string }>('SELECT keepalive_until, stop_reason FROM console_agent_sessions WHERE id = $1', [started.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.keepalive_until.toISOString()).toBe(keptAlive.keepaliveUntil);
    expect(rows[0]?.stop_reason).toBe('stopped');
  });

  it('records tool calls with their arguments and a bounded result, once per id', async () => {
    const history = new HistoryStore(pool);
    const first = toolCall('ada', { tool: 'lookup_order', arguments: { order_id: 'A-1001' }, resultText: 'x'.repeat(10_000), isError: false, durationMs: 12.4 }, new Date(Date.now() - 1_000));
    await history.write(first);
    await history.write(first);
    await history.write(toolCall('ada', { tool: 'send_slack_message', arguments: { text: 'hi' }, resultText: 'Slack message did not accept that request.', isError: true, durationMs: 3 }));
    await history.write(toolCall('grace', { tool: 'lookup_order', arguments: {}, resultText: 'other user', isError: false, durationMs: 1 }));

    const calls = await history.toolCalls('ada');
    expect(calls.map((call) => call.tool)).toEqual(['send_slack_message', 'lookup_order']);
    expect(calls[0]).toMatchObject({ isError: true, arguments: { text: 'hi' }, durationMs: 3 });
    expect(calls[1]?.resultText).toHaveLength(4_000);
    expect(calls[1]?.durationMs).toBe(12);
  });

  it('keeps a call whose arguments or result jsonb and text refuse, with U+FFFD in place of what they refuse', async () => {
    const history = new HistoryStore(pool);
    const entry = toolCall('nul', { tool: 'flaky_service', arguments: { 'key\u0000': ['a\u0000b', { lone: '\ud800x', pair: '\ud83d\ude00' }] }, resultText: 'out\u0000put \udc00', isError: false, durationMs: 1 });
    await history.write(entry);
    const [call] = await history.toolCalls('nul');
    expect(call).toMatchObject({ arguments: { 'key\ufffd': ['a\ufffdb', { lone: '\ufffdx', pair: '\ud83d\ude00' }] }, resultText: 'out\ufffdput \ufffd' });
  });
});
