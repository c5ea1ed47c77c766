import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakePipedream, type FakePipedream } from './fakes/fake-pipedream.ts';
import { holdSseSession, type HeldSession } from './helpers/held-sse-session.ts';
import { createTestDatabase, testCatalog, TOKENS } from './helpers/mcp.ts';
import { serverEnvironment, startServerProcess, type ServerProcess } from './helpers/server-process.ts';
import { freePort } from '../../../test/helpers/free-port.ts';

/**
 * A rolling update of the MCP server with a TEN call going on: two real server processes, A and
 * B, on one Postgres database and one Redis, as two replicas of one deployment (main.ts routes on
 * its fixed channel prefix; each session's channel and owner key are named by its random id, so
 * other suites on the same Redis never meet these sessions). A holds the call's legacy SSE stream
 * and gets SIGTERM.
 */

let fake: FakePipedream;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let catalogPath: string;
const processes: ServerProcess[] = [];
const sessions: HeldSession[] = [];

async function startReplica(env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  const server = await startServerProcess({ ...serverEnvironment({ port, fake, databaseUrl: database.url, catalogPath }), ...env }, { ready: true });
  processes.push(server);
  return server;
}

async function hold(server: ServerProcess): Promise<HeldSession> {
  const session = await holdSseSession(server.url);
  sessions.push(session);
  return session;
}

/** Polls `check` until it returns something other than undefined, for at most `ms`. */
async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms))),
  ]);
}

/** POSTs a tools/call for `session` to `server`, as a load balancer may send it to any replica. */
function postToolCall(server: ServerProcess, session: HeldSession, id: number, orderId: string): Promise<Response> {
  return fetch(`${server.url}/messages/${TOKENS.tenAgent}?sessionId=${session.sessionId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'lookup_order', arguments: { order_id: orderId } } }),
    signal: AbortSignal.timeout(10_000),
  });
}

async function ready(server: ServerProcess): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/ready`, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  fake = await startFakePipedream();
  fake.setWorkflow('lookup-order', { body: { status: 'in transit' } });
  database = await createTestDatabase();
  catalogPath = join(mkdtempSync(join(tmpdir(), 'mcp-drain-')), 'tools.yaml');
  writeFileSync(catalogPath, stringify(testCatalog(fake)));
});

afterEach(async () => {
  for (const session of sessions.splice(0)) session.close();
  for (const server of processes.splice(0)) {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await server.exited;
  }
});

afterAll(async () => {
  await fake?.close();
  await database?.drop();
});

describe('SIGTERM with a TEN call on a legacy SSE stream', () => {
  it('keeps serving the stream it holds, directly and through the other replica, and exits 0 once the call ends', async () => {
    const a = await startReplica({ SSE_DRAIN_TIMEOUT_SECONDS: '120', SHUTDOWN_TIMEOUT_MS: '5000' });
    const b = await startReplica();
    const session = await hold(a);
    expect(await ready(a)).toMatchObject({ status: 200, body: { status: 'ready', sse: { sessions: 1 } } });

    a.child.kill('SIGTERM');
    const draining = await eventually('A to report it is stopping', async () => {
      const answer = await ready(a);
      return answer.status === 503 ? answer : undefined;
    });
    // What the drain waits for, for an operator to see.
    expect(draining.body).toMatchObject({ status: 'stopping', sse: { sessions: 1 } });

    // A new stream is refused so the client goes to another replica.
    const refused = await fetch(`${a.url}/sse/${TOKENS.tenAgent}`, { signal: AbortSignal.timeout(5_000) });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await refused.json()).toEqual({ error: 'this replica is draining (shutting down) and opens no new SSE streams; connect again to reach another replica' });
    // B takes new streams meanwhile.
    const elsewhere = await hold(b);
    expect(elsewhere.sessionId).not.toBe(session.sessionId);

    // The call's messages still reach A's session: through B (Redis) and straight to A.
    expect((await postToolCall(b, session, 1, 'VIA-B-1')).status).toBe(202);
    expect((await postToolCall(a, session, 2, 'DIRECT-A-2')).status).toBe(202);
    const answers = await eventually('both answers on the stream', () => {
      const found = [1, 2].map((id) => session.received.find((message) => message['id'] === id));
      return found.every((message) => message !== undefined) ? found : undefined;
    });
    for (const answer of answers) expect(answer).toMatchObject({ result: { structuredContent: { status: 'in transit' } } });
    expect(fake.requestsTo('/workflows/lookup-order').map((request) => request.body)).toEqual(
      expect.arrayContaining([{ order_id: 'VIA-B-1' }, { order_id: 'DIRECT-A-2' }]),
    );

    // Both calls are audited, by A, which ran them.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const rows = await eventually('both audit rows', async () => {
        const { rows } = await client.query("SELECT caller, transport, outcome FROM mcp_tool_calls WHERE tool = 'lookup_order'");
        return rows.length >= 2 ? rows : undefined;
      });
      expect(rows).toEqual([
        { caller: 'ten-agent', transport: 'sse', outcome: 'ok' },
        { caller: 'ten-agent', transport: 'sse', outcome: 'ok' },
      ]);
    } finally {
      await client.end();
    }

    // A is still there, serving, waiting for the call.
    expect(a.child.exitCode).toBeNull();
    expect((await fetch(`${a.url}/health`)).status).toBe(200);
    const waiting = a.logLines().filter((line) => line['msg'] === 'draining: waiting for the sse streams to end');
    expect(waiting[0]).toMatchObject({ sseSessions: 1 });

    // The call ends: TEN closes the stream, and A finishes its drain.
    session.close();
    expect(await within(20_000, 'A exiting', a.exited)).toBe(0);
    const log = a.stdout();
    expect(log).toContain('"msg":"draining: every sse stream ended"');
    expect(log).toContain('"drained":true,"auditLeft":0,"sseClosed":0');
    expect(log).not.toContain(TOKENS.tenAgent);
    // B was not disturbed: its own stream is still open.
    expect(b.child.exitCode).toBeNull();
    expect(await ready(b)).toMatchObject({ status: 200, body: { sse: { sessions: 1 } } });
  });

  it('closes a stream still open when SSE_DRAIN_TIMEOUT_SECONDS passes, then exits (1: a call was cut)', async () => {
    const a = await startReplica({ SSE_DRAIN_TIMEOUT_SECONDS: '1.5', SHUTDOWN_TIMEOUT_MS: '2000' });
    const session = await hold(a);
    a.child.kill('SIGTERM');
    // The client never closes its stream; the server must.
    await within(20_000, 'the stream being closed', session.ended);
    expect(await within(20_000, 'A exiting', a.exited)).toBe(1);
    const lines = a.logLines();
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'draining: SSE_DRAIN_TIMEOUT_SECONDS passed; closing the sse streams still open', sseSessions: 1 }));
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'stopped', drained: true, auditLeft: 0, sseClosed: 1 }));
  });
});
