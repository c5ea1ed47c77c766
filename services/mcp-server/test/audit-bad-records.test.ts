import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakePipedream, type FakePipedream } from './fakes/fake-pipedream.ts';
import { auditSettled, createTestDatabase, startMcpServer, TOKENS, type RunningServer } from './helpers/mcp.ts';
import { eventually } from './helpers/raw-http.ts';

/**
 * One audit record Postgres cannot take must never hold up the others: it is escaped, or
 * isolated and stored as a placeholder, and the backlog shows in /ready and the metrics.
 */

let fake: FakePipedream;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let server: RunningServer;

const MCP_HEADERS = { authorization: `Bearer ${TOKENS.console}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** A tools/call over /mcp, with the arguments written as raw JSON text (so it can hold lone surrogates). */
async function callOverMcp(argumentsJson: string): Promise<unknown> {
  const body = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"flaky_service","arguments":${argumentsJson}}}`;
  const response = await fetch(`${server.url}/mcp`, { method: 'POST', headers: MCP_HEADERS, body });
  expect(response.status).toBe(200);
  return response.json();
}

async function callOverRest(args: Record<string, unknown>): Promise<Response> {
  return fetch(`${server.url}/execute-tool`, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify({ tool: 'flaky_service', args }) });
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  if (line === undefined) throw new Error(`metric ${name} not exported`);
  return Number(line.slice(name.length + 1));
}

beforeAll(async () => {
  fake = await startFakePipedream();
  database = await createTestDatabase();
  server = await startMcpServer({ fake, databaseUrl: database.url, env: { AUDIT_MAX_LAG_MS: '300' } });
});

afterAll(async () => {
  await server?.close();
  await fake?.close();
  await database?.drop();
});

describe('audit records Postgres cannot store as they are', () => {
  it('stores argument names with NUL, control characters, lone surrogates and commas escaped, and keeps auditing later calls', async () => {
    expect((await callOverRest({ 'a\u0000b': 1 })).status).toBe(200);
    await callOverMcp('{"c,d": 1, "e\\\\f": 2, "\\ud800x": 3, "tab\\there": 4}');
    expect((await callOverRest({ sku: 'after' })).status).toBe(200);
    await auditSettled(server.mcp, 5_000);

    const { rows } = await server.pool.query<{ argument_names: string; audit_note: string | null }>(
      "SELECT argument_names, audit_note FROM mcp_tool_calls WHERE tool = 'flaky_service' ORDER BY called_at",
    );
    expect(rows).toEqual([
      { argument_names: 'a\\u0000b', audit_note: 'escaped' },
      { argument_names: 'c\\u002cd,e\\u005cf,tab\\u0009here,\\ud800x', audit_note: 'escaped' },
      { argument_names: 'sku', audit_note: null },
    ]);
    // The escaping is reversible: the stored text gives back the names exactly.
    const { decodeArgumentNames } = await import('../src/audit/audit-text.ts');
    expect(decodeArgumentNames(rows[1]!.argument_names)).toEqual(['c,d', 'e\\f', 'tab\there', '\ud800x']);
    expect(await metric('mcp_audit_records_sanitized_total')).toBe(2);
    expect(await metric('mcp_audit_records_written_total')).toBe(3);
    expect(await metric('mcp_audit_records_pending')).toBe(0);
  });

  it('isolates a record Postgres refuses, stores a placeholder for it and writes the rest of its batch', async () => {
    // A constraint stands in for whatever Postgres may refuse that escaping cannot fix.
    await server.pool.query("ALTER TABLE mcp_tool_calls ADD CONSTRAINT no_poison CHECK (argument_names NOT LIKE '%poison%')");
    const before = await metric('mcp_audit_records_written_total');
    const calls = Array.from({ length: 20 }, (_, index) => callOverRest(index === 7 ? { poison: 1 } : { sku: `batch-${index}` }));
    expect((await Promise.all(calls)).map((response) => response.status)).toEqual(Array(20).fill(200));
    await auditSettled(server.mcp, 5_000);

    const { rows } = await server.pool.query<{ argument_names: string; argument_digest: string; audit_note: string | null; outcome: string }>(
      "SELECT argument_names, argument_digest, audit_note, outcome FROM mcp_tool_calls WHERE argument_names = 'sku' OR audit_note LIKE 'placeholder%'",
    );
    const placeholders = rows.filter((row) => row.audit_note !== null);
    expect(placeholders).toEqual([
      { argument_names: '', argument_digest: expect.stringMatching(/^hmac-sha256:[0-9a-f]{64}$/), audit_note: 'placeholder: Postgres refused the record (SQLSTATE 23514)', outcome: 'ok' },
    ]);
    expect(await metric('mcp_audit_records_rejected_total')).toBe(1);
    expect((await metric('mcp_audit_records_written_total')) - before).toBe(20);
  });

  it('shows a backlog in /ready and the metrics, and is ready again once it is written', async () => {
    // Holding a lock on the table stalls the writer without making Postgres unreachable.
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE mcp_tool_calls IN ACCESS EXCLUSIVE MODE');
      expect((await callOverRest({ sku: 'stalled' })).status).toBe(200);
      await eventually(async () => (await fetch(`${server.url}/ready`)).status === 503, 5_000, '/ready did not turn 503 on a stalled audit log');
      const ready = (await (await fetch(`${server.url}/ready`)).json()) as { status: string; checks: Record<string, boolean>; audit: { pending: number; oldestPendingSeconds: number } };
      expect(ready.status).toBe('not ready');
      expect(ready.checks).toEqual({ catalog: true, postgres: true, redis: true, audit: false });
      expect(ready.audit.pending).toBe(1);
      expect(ready.audit.oldestPendingSeconds).toBeGreaterThanOrEqual(0.3);
      expect(await metric('mcp_audit_records_pending')).toBe(1);
      expect(await metric('mcp_audit_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(0.3);
    } finally {
      await locker.query('COMMIT');
      await locker.end();
    }
    await auditSettled(server.mcp, 5_000);
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { audit: true }, audit: { pending: 0, oldestPendingSeconds: 0 } });
  });
});
