import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakePipedream, type FakePipedream } from './fakes/fake-pipedream.ts';
import { connectClient, createTestDatabase, startMcpServer, TOKENS, type RunningServer } from './helpers/mcp.ts';
import { eventually, openSocket } from './helpers/raw-http.ts';

/**
 * A request line for every request but tool calls, whose own "tool call" line says what happened;
 * each request keeps its id.
 */

let fake: FakePipedream;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let server: RunningServer;

const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-11-25',
  authorization: `Bearer ${TOKENS.console}`,
};

interface Line {
  msg: string;
  requestId?: string;
  req?: { method: string; url: string };
  res?: { statusCode: number };
  responseTime?: number;
  tool?: string;
  transport?: string;
}

beforeAll(async () => {
  fake = await startFakePipedream();
  fake.setWorkflow('lookup-order', { body: { status: 'shipped' } });
  database = await createTestDatabase();
  server = await startMcpServer({ fake, databaseUrl: database.url });
});

afterAll(async () => {
  await server?.close();
  await fake?.close();
  await database?.drop();
});

/** The lines logged while `action` ran (and its answer's `close` came). */
async function linesOf(action: () => Promise<unknown>): Promise<Line[]> {
  const from = server.logs.length;
  await action();
  await new Promise((resolve) => setTimeout(resolve, 50));
  return server.logs.slice(from).map((line) => JSON.parse(line) as Line);
}

const requestLines = (lines: Line[]) => lines.filter((line) => line.req !== undefined && line.msg.startsWith('request '));

function mcpCall(body: unknown, headers: Record<string, string> = HEADERS) {
  return fetch(`${server.url}/mcp`, { method: 'POST', headers, body: JSON.stringify(body) }).then(async (response) => ({ status: response.status, text: await response.text() }));
}

describe('request lines', () => {
  it('writes none for a tool call over /mcp: its tool call line says what happened', async () => {
    const lines = await linesOf(async () => {
      const answer = await mcpCall({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'lookup_order', arguments: { order_id: 'A-100' } } });
      expect(answer.status).toBe(200);
      expect(answer.text).toContain('shipped');
    });
    expect(lines.filter((line) => line.msg === 'tool call')).toEqual([expect.objectContaining({ tool: 'lookup_order', transport: 'mcp' })]);
    expect(requestLines(lines)).toEqual([]);
  });

  it('writes none for a tool call through the SDK client or the REST endpoint, and one for each other message', async () => {
    const lines = await linesOf(async () => {
      const client = await connectClient(server.url, TOKENS.console);
      await client.callTool({ name: 'lookup_order', arguments: { order_id: 'A-101' } });
      await client.listTools();
      await client.close();
      const rest = await fetch(`${server.url}/execute-tool`, { method: 'POST', headers: HEADERS, body: JSON.stringify({ tool: 'lookup_order', args: { order_id: 'A-102' } }) });
      expect(rest.status).toBe(200);
    });
    expect(lines.filter((line) => line.msg === 'tool call').map((line) => line.transport)).toEqual(['mcp', 'rest']);
    // initialize, notifications/initialized, the client's try at a GET stream, tools/list: each its line, with its status.
    expect(requestLines(lines).map((line) => `${line.req?.method} ${line.req?.url} ${line.res?.statusCode}`).sort()).toEqual([
      'GET /mcp 405',
      'POST /mcp 200',
      'POST /mcp 200',
      'POST /mcp 202',
    ]);
  });

  it('keeps the line of every request on the tool routes that runs no tool', async () => {
    const lines = await linesOf(async () => {
      expect((await mcpCall({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'lookup_order', arguments: {} } }, { ...HEADERS, authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
      // Not in the catalog: the SDK answers with a JSON-RPC error, no tool runs.
      expect((await mcpCall({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'no_such_tool', arguments: {} } })).status).toBe(200);
      // Malformed: the SDK refuses it before the tool.
      expect((await mcpCall({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'lookup_order', arguments: { order_id: 'A-104' }, _meta: { progressToken: {} } } })).status).toBe(400);
      // A batch is refused for this protocol version.
      expect((await mcpCall([{ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'lookup_order', arguments: { order_id: 'A-103' } } }])).status).toBe(400);
      const rest = await fetch(`${server.url}/execute-tool`, { method: 'POST', headers: HEADERS, body: JSON.stringify({ tool: 'no_such_tool', args: {} }) });
      expect(rest.status).toBe(404);
    });
    expect(lines.filter((line) => line.msg === 'tool call')).toEqual([]);
    expect(requestLines(lines).map((line) => [line.req?.url, line.res?.statusCode, line.msg])).toEqual([
      ['/mcp', 401, 'request completed'],
      ['/mcp', 200, 'request completed'],
      ['/mcp', 400, 'request completed'],
      ['/mcp', 400, 'request completed'],
      ['/execute-tool', 404, 'request completed'],
    ]);
    for (const line of requestLines(lines)) expect(line.responseTime).toEqual(expect.any(Number));
  });

  it('gives every request its own id, on its line and on what it logs itself', async () => {
    const lines = await linesOf(async () => {
      for (let index = 0; index < 3; index += 1) await fetch(`${server.url}/ready`);
      const broken = await fetch(`${server.url}/mcp`, { method: 'POST', headers: HEADERS, body: '{"jsonrpc":' });
      expect(broken.status).toBe(400);
      // A client that goes away mid-body: the request logs that through req.log, then its line.
      const socket = await openSocket(server.url);
      socket.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKENS.console}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.destroy();
      await eventually(() => server.logs.some((line) => line.includes('"request aborted"')), 3_000, 'no line for the aborted request');
    });
    const ids = requestLines(lines).map((line) => line.requestId);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const own = lines.find((line) => line.msg === 'client closed the connection before sending the whole body');
    expect(own).toMatchObject({ requestId: ids[4], req: { method: 'POST', url: '/mcp' } });
  });

  it('keeps a sound X-Request-Id of the caller, answers it, and puts it on the tool call line', async () => {
    const lines = await linesOf(async () => {
      const response = await fetch(`${server.url}/execute-tool`, {
        method: 'POST',
        headers: { ...HEADERS, 'x-request-id': 'console-7f3a' },
        body: JSON.stringify({ tool: 'lookup_order', args: { order_id: 'A-1' } }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-request-id')).toBe('console-7f3a');
      // Not a sound id (a space, too long): a new one, answered.
      for (const unsound of ['has space', 'x'.repeat(129)]) {
        const refused = await fetch(`${server.url}/ready`, { headers: { 'x-request-id': unsound } });
        expect(refused.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      }
    });
    expect(lines.find((line) => line.msg === 'tool call')).toMatchObject({ requestId: 'console-7f3a', tool: 'lookup_order', transport: 'rest' });
  });

  it('puts the request id on the tool call line of a /mcp call too', async () => {
    const lines = await linesOf(async () => {
      const response = await fetch(`${server.url}/mcp`, {
        method: 'POST',
        headers: { ...HEADERS, 'x-request-id': 'mcp-call-1' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'lookup_order', arguments: { order_id: 'A-2' } } }),
      });
      expect(response.status).toBe(200);
    });
    expect(lines.find((line) => line.msg === 'tool call')).toMatchObject({ requestId: 'mcp-call-1', transport: 'mcp' });
  });

  it('writes none for /health and /metrics', async () => {
    const lines = await linesOf(async () => {
      await fetch(`${server.url}/health`);
      await fetch(`${server.url}/metrics`);
    });
    expect(requestLines(lines)).toEqual([]);
  });
});
