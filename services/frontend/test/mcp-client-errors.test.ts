import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../lib/config.ts';
import { callTool, listTools, TOOL_SERVER_BUSY, ToolOutcomeUnknown } from '../lib/mcp-tools.ts';
import { UpstreamError } from '../lib/upstream-error.ts';

/**
 * How the console reads each way a call to the MCP server can fail, on the MCP client it uses:
 * refused (it did not run: say so), busy, or lost after it went out (it may have run: never say
 * "failed"). The server here speaks Streamable HTTP as ours does (JSON answers, stateless,
 * 2025-11-25) and fails `tools/call` in the way the test names.
 */

type Failure = 'ok' | 'jsonrpc-error' | 'http-400' | 'http-429' | 'http-500' | 'hang-up' | 'busy-at-connect';

let server: Server;
let failure: Failure = 'ok';
/** How many tools/call requests arrived: the client must never send one again by itself. */
let toolCalls = 0;
let url: string;

function answer(res: ServerResponse, status: number, body?: unknown): void {
  res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' }).end(body === undefined ? undefined : JSON.stringify(body));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') return answer(res, 405);
  let text = '';
  for await (const chunk of req) text += String(chunk);
  const message = JSON.parse(text) as { id?: number; method: string };
  // The console probes for 2026-07-28 first; a 2025 server knows no such method.
  if (message.method === 'server/discover') {
    if (failure === 'busy-at-connect') return answer(res, 429, { error: 'rate limited' });
    return answer(res, 200, { jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'Method not found' } });
  }
  if (message.method === 'initialize') {
    if (failure === 'busy-at-connect') return answer(res, 429, { error: 'rate limited' });
    return answer(res, 200, { jsonrpc: '2.0', id: message.id, result: { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'fake', version: '1.0.0' } } });
  }
  if (message.id === undefined) return answer(res, 202);
  if (message.method === 'tools/call') toolCalls += 1;
  if (message.method === 'tools/list') {
    return answer(res, 200, { jsonrpc: '2.0', id: message.id, result: { tools: [{ name: 'lookup_order', inputSchema: { type: 'object' } }] } });
  }
  switch (failure) {
    case 'jsonrpc-error':
      return answer(res, 200, { jsonrpc: '2.0', id: message.id, error: { code: -32602, message: 'Unknown tool: format_disk' } });
    case 'http-400':
      return answer(res, 400, { error: 'X-End-User-Id must be 1 to 250 visible ASCII characters' });
    case 'http-429':
      return answer(res, 429, { error: 'rate limited' });
    case 'http-500':
      return answer(res, 500, { error: 'internal' });
    case 'hang-up':
      return void req.socket.destroy();
    default:
      return answer(res, 200, { jsonrpc: '2.0', id: message.id, result: { content: [{ type: 'text', text: 'Order A-1 is on its way.' }], structuredContent: { eta: 'today' } } });
  }
}

beforeAll(async () => {
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const config = () => ({ MCP_SERVER_URL: url, MCP_CONSOLE_TOKEN: 'console-token-for-this-test' }) as Config;

async function failureOf(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

describe('the console calling the MCP server', () => {
  it('passes on a result: its text and its structured content', async () => {
    failure = 'ok';
    expect(await callTool(config(), 'ada', 'lookup_order', { order_id: 'A-1' })).toEqual({ isError: false, text: 'Order A-1 is on its way.', structuredContent: { eta: 'today' } });
    expect((await listTools(config())).map((tool) => tool.name)).toEqual(['lookup_order']);
  });

  it('reads a JSON-RPC error to the call as refused: the tool did not run', async () => {
    failure = 'jsonrpc-error';
    const error = await failureOf(callTool(config(), 'ada', 'lookup_order', {}));
    expect(error).not.toBeInstanceOf(ToolOutcomeUnknown);
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/refused the request/);
  });

  it('reads an HTTP 4xx to the call as not run, a problem between the console and the server (502)', async () => {
    failure = 'http-400';
    const error = await failureOf(callTool(config(), 'ada', 'lookup_order', {}));
    expect(error).not.toBeInstanceOf(ToolOutcomeUnknown);
    expect(error.status).toBe(502);
    expect(error.message).toMatch(/cannot be reached/);
  });

  it('reads 429 as busy, before and after the call went out', async () => {
    for (const busy of ['http-429', 'busy-at-connect'] as const) {
      failure = busy;
      const error = await failureOf(callTool(config(), 'ada', 'lookup_order', {}));
      expect(error.status, busy).toBe(429);
      expect(error.message).toBe(TOOL_SERVER_BUSY);
    }
  });

  it('reads a 5xx or a cut connection after the call went out as "may have run", never as failed', async () => {
    for (const lost of ['http-500', 'hang-up'] as const) {
      failure = lost;
      const before = toolCalls;
      const error = await failureOf(callTool(config(), 'ada', 'lookup_order', {}));
      expect(toolCalls - before, `${lost}: tools/call requests sent`).toBe(1);
      expect(error, lost).toBeInstanceOf(ToolOutcomeUnknown);
      expect(error.status).toBe(502);
    }
  });

  it('reads a server it cannot reach as unreachable, not as refused', async () => {
    const error = await failureOf(listTools({ ...config(), MCP_SERVER_URL: 'http://127.0.0.1:9/mcp' }));
    expect(error).not.toBeInstanceOf(ToolOutcomeUnknown);
    expect(error.status).toBe(502);
    expect(error.message).toMatch(/cannot be reached/);
  });
});
