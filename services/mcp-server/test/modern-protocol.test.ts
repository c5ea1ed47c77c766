import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakePipedream, type FakePipedream } from './fakes/fake-pipedream.ts';
import { auditSettled, connectClient, createTestDatabase, startMcpServer, TOKENS, type RunningServer } from './helpers/mcp.ts';

/**
 * /mcp under specification 2026-07-28 (stateless, `server/discover`, the per-request `_meta`
 * envelope and the MCP-Protocol-Version / Mcp-Method / Mcp-Name headers) next to 2025-11-25
 * clients on the same endpoint, with the same auth, rate limit, audit and drain.
 */

const MODERN = '2026-07-28';
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientInfo': { name: 'raw-client', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

let fake: FakePipedream;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let server: RunningServer;
/** RATE_LIMIT_PER_MINUTE=3 */
let limited: RunningServer;
let modern: Client;

/** A raw 2026-07-28 request: the headers a modern client sends, each overridable (undefined drops one). */
function modernRequest(body: Record<string, unknown>, headers: Record<string, string | undefined> = {}, to: RunningServer = server) {
  const params = (body['params'] ?? {}) as Record<string, unknown>;
  const all: Record<string, string | undefined> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    authorization: `Bearer ${TOKENS.tenAgent}`,
    'mcp-protocol-version': MODERN,
    'mcp-method': String(body['method']),
    ...(typeof params['name'] === 'string' ? { 'mcp-name': params['name'] } : {}),
    ...headers,
  };
  const sent = Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return fetch(`${to.url}/mcp`, { method: 'POST', headers: sent, body: JSON.stringify({ jsonrpc: '2.0', ...body }) });
}

function lookup(id: number, orderId: string, meta: Record<string, unknown> = ENVELOPE) {
  return { id, method: 'tools/call', params: { name: 'lookup_order', arguments: { order_id: orderId }, _meta: meta } };
}

/** The order numbers the workflow was called with, in order. */
function lookedUp(): string[] {
  return fake.requestsTo('/workflows/lookup-order').map((request) => String((request.body as { order_id?: unknown } | undefined)?.order_id));
}

async function auditedLookups(): Promise<number> {
  await auditSettled(server.mcp);
  const { rows } = await server.pool.query<{ count: string }>("SELECT count(*) FROM mcp_tool_calls WHERE tool = 'lookup_order'");
  return Number(rows[0]?.count);
}

beforeAll(async () => {
  fake = await startFakePipedream();
  database = await createTestDatabase();
  server = await startMcpServer({ fake, databaseUrl: database.url });
  limited = await startMcpServer({ fake, databaseUrl: database.url, env: { RATE_LIMIT_PER_MINUTE: '3' } });
  fake.setWorkflow('lookup-order', { body: { status: 'shipped' } });
  modern = await connectClient(server.url, TOKENS.console, { 'x-end-user-id': 'user-7' }, { mode: 'auto' });
});

afterAll(async () => {
  await modern?.close();
  await limited?.close();
  await server?.close();
  await fake?.close();
  await database?.drop();
});

describe('2026-07-28 at /mcp', () => {
  it('is what a negotiating client settles on: server/discover offers 2026-07-28 and the tool capability', async () => {
    expect(modern.getNegotiatedProtocolVersion()).toBe(MODERN);
    expect(modern.getServerCapabilities()).toEqual({ tools: { listChanged: false } });
    const response = await modernRequest({ id: 1, method: 'server/discover', params: { _meta: ENVELOPE } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const { result } = (await response.json()) as { result: Record<string, unknown> };
    expect(result).toMatchObject({ supportedVersions: [MODERN], capabilities: { tools: { listChanged: false } } });
    expect(result['_meta']).toEqual({ 'io.modelcontextprotocol/serverInfo': { name: 'voice-agent-mcp-server', version: '0.1.0' } });
  });

  it('lists the catalog and calls a tool for the caller’s end user, audited like any call, with progress over SSE', async () => {
    const { tools } = await modern.listTools();
    expect(tools.map((tool) => tool.name)).toContain('lookup_order');
    const progress: number[] = [];
    const result = await modern.callTool({ name: 'lookup_order', arguments: { order_id: 'M-100' } }, { onprogress: (event) => progress.push(event.progress) });
    expect(result.structuredContent).toEqual({ status: 'shipped' });
    expect(progress).toEqual([0, 1]);
    expect(fake.requestsTo('/workflows/lookup-order').at(-1)?.headers['x-pd-external-user-id']).toBe('user-7');
    await auditSettled(server.mcp);
    const { rows } = await server.pool.query("SELECT caller, end_user, transport, outcome FROM mcp_tool_calls WHERE end_user = 'user-7'");
    expect(rows).toEqual([{ caller: 'console', end_user: 'user-7', transport: 'mcp', outcome: 'ok' }]);
  });

  it('answers a call that asks for no progress with plain JSON', async () => {
    const response = await modernRequest(lookup(2, 'M-101'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toMatchObject({ id: 2, result: { structuredContent: { status: 'shipped' } } });
  });

  it.each([
    ['Mcp-Method names another method than the body', { 'mcp-method': 'tools/list' }],
    ['Mcp-Name names another tool than the body', { 'mcp-name': 'send_slack_message' }],
    ['MCP-Protocol-Version names another revision than the envelope', { 'mcp-protocol-version': '2025-11-25' }],
  ])('refuses a request whose %s with 400 and -32020, and runs nothing', async (_case, headers) => {
    const audited = await auditedLookups();
    const response = await modernRequest(lookup(3, 'M-MISMATCH'), headers);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32020);
    expect(lookedUp()).not.toContain('M-MISMATCH');
    expect(await auditedLookups()).toBe(audited);
  });

  it('refuses a modern request without its required headers', async () => {
    for (const dropped of ['mcp-protocol-version', 'mcp-method', 'mcp-name']) {
      const response = await modernRequest(lookup(4, 'M-NOHEADER'), { [dropped]: undefined });
      expect(response.status, dropped).toBe(400);
      expect(((await response.json()) as { error: { code: number } }).error.code, dropped).toBeLessThan(0);
    }
    expect(lookedUp()).not.toContain('M-NOHEADER');
  });

  it('answers a revision it does not serve with -32022 naming the one it does', async () => {
    const envelope = { ...ENVELOPE, 'io.modelcontextprotocol/protocolVersion': '2027-01-01' };
    const response = await modernRequest(lookup(5, 'M-FUTURE', envelope), { 'mcp-protocol-version': '2027-01-01' });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: number; data: { supported: string[] } } };
    expect(error.code).toBe(-32022);
    expect(error.data.supported).toEqual([MODERN]);
  });

  it('refuses a body nested thousands of levels deep with 400, as the 2025 path does, instead of overflowing', async () => {
    const response = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${TOKENS.tenAgent}` },
      body: `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32600);
  });

  it('keeps every guarantee in front of it: no token 401, a foreign Origin 403, a full budget 429', async () => {
    expect((await modernRequest(lookup(6, 'M-ANON'), { authorization: undefined })).status).toBe(401);
    expect((await modernRequest(lookup(7, 'M-CROSS'), { origin: 'https://evil.example' })).status).toBe(403);
    const statuses: number[] = [];
    for (let id = 10; id < 14; id += 1) statuses.push((await modernRequest(lookup(id, `M-LIMIT-${id}`), {}, limited)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('finishes a call in flight when the server drains, and audits it', async () => {
    const draining = await startMcpServer({ fake, databaseUrl: database.url });
    fake.setWorkflow('lookup-order', { delayMs: 600, body: { status: 'late but there' } });
    const audited = await auditedLookups();
    try {
      const client = await connectClient(draining.url, TOKENS.tenAgent, {}, { mode: 'auto' });
      const call = client.callTool({ name: 'lookup_order', arguments: { order_id: 'M-DRAIN' } });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const outcome = await draining.close(5_000);
      expect((await call).structuredContent).toEqual({ status: 'late but there' });
      expect(outcome).toMatchObject({ drained: true, auditLeft: 0 });
      // The draining server flushed its record into the database the suite shares.
      expect(await auditedLookups()).toBe(audited + 1);
      await client.close();
    } finally {
      fake.setWorkflow('lookup-order', { body: { status: 'shipped' } });
    }
  });
});

describe('2025-11-25 clients on the same endpoint', () => {
  it('still initialize and call tools, answered with JSON', async () => {
    const legacy = await connectClient(server.url, TOKENS.tenAgent);
    try {
      expect(legacy.getNegotiatedProtocolVersion()).toBe('2025-11-25');
      expect((await legacy.callTool({ name: 'lookup_order', arguments: { order_id: 'L-200' } })).structuredContent).toEqual({ status: 'shipped' });
    } finally {
      await legacy.close();
    }
    const response = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${TOKENS.tenAgent}`, 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(lookedUp()).toContain('L-200');
  });
});
