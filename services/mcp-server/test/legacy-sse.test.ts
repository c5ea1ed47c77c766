import { randomBytes } from 'node:crypto';
import { Client, SSEClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakePipedream, type FakePipedream } from './fakes/fake-pipedream.ts';
import { auditSettled, createTestDatabase, startMcpServer, TOKENS, type RunningServer } from './helpers/mcp.ts';

let fake: FakePipedream;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
/** Two replicas sharing one Redis channel prefix, like two pods of one deployment. */
let first: RunningServer;
let second: RunningServer;

/** The TEN agent's view: an SSE client with the token in the URL and no headers. */
async function sseClient(streamFrom: RunningServer, postTo: RunningServer = streamFrom, token: string = TOKENS.tenAgent): Promise<Client> {
  const client = new Client({ name: 'ten-agent-like', version: '1.0.0' });
  const transport = new SSEClientTransport(new URL(`/sse/${token}`, streamFrom.url), {
    // Sends every message POST to `postTo`, as a load balancer may.
    fetch: (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if ((init?.method ?? 'GET') === 'POST') url.host = new URL(postTo.url).host;
      return fetch(url, init);
    },
  });
  await client.connect(transport);
  return client;
}

beforeAll(async () => {
  fake = await startFakePipedream();
  fake.setWorkflow('lookup-order', { body: { status: 'in transit' } });
  database = await createTestDatabase();
  const channelPrefix = `mcp-sse-test:${randomBytes(4).toString('hex')}:`;
  first = await startMcpServer({ fake, databaseUrl: database.url, channelPrefix });
  second = await startMcpServer({ fake, databaseUrl: database.url, channelPrefix });
});

afterAll(async () => {
  await first?.close();
  await second?.close();
  await fake?.close();
  await database?.drop();
});

describe('legacy HTTP+SSE transport', () => {
  it('serves the TEN agent client: tools listed and called, with the caller from the path token', async () => {
    const client = await sseClient(first);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('lookup_order');
    const result = await client.callTool({ name: 'lookup_order', arguments: { order_id: 'S-1' } });
    expect(result.structuredContent).toEqual({ status: 'in transit' });
    await client.close();
    await auditSettled(first.mcp);
    const { rows } = await first.pool.query("SELECT caller, transport FROM mcp_tool_calls WHERE transport = 'sse'");
    expect(rows).toContainEqual({ caller: 'ten-agent', transport: 'sse' });
  });

  it('routes a message POSTed to another replica through Redis to the one holding the stream', async () => {
    const client = await sseClient(first, second);
    expect(first.mcp.legacySse.size).toBe(1);
    expect(second.mcp.legacySse.size).toBe(0);
    const result = await client.callTool({ name: 'lookup_order', arguments: { order_id: 'S-2' } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ status: 'in transit' });
    // The second replica accepted the POSTs and the first answered on its stream.
    const secondLog = second.logs.join('');
    expect(secondLog).toMatch(/"method":"POST","url":"\/messages\/\[redacted\]\?sessionId=\[redacted\]"\},"res":\{"statusCode":202\}/);
    await client.close();
  });

  it('answers 404 for a session no replica holds, and for a session of another caller', async () => {
    const post = (server: RunningServer, token: string, sessionId: string) =>
      fetch(`${server.url}/messages/${token}?sessionId=${sessionId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
    expect((await post(second, TOKENS.tenAgent, '00000000-0000-0000-0000-000000000000')).status).toBe(404);

    let sessionId = '';
    const transport = new SSEClientTransport(new URL(`/sse/${TOKENS.tenAgent}`, first.url));
    const client = new Client({ name: 'owner', version: '1' });
    await client.connect(transport);
    sessionId = (transport as unknown as { _endpoint?: URL })._endpoint?.searchParams.get('sessionId') ?? '';
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await post(first, TOKENS.console, sessionId)).status).toBe(404);
    expect((await post(second, TOKENS.console, sessionId)).status).toBe(404);
    expect((await post(second, TOKENS.tenAgent, sessionId)).status).toBe(202);
    await client.close();
  });

  it('answers a body that is not one JSON-RPC message with 400, never by echoing it', async () => {
    const transport = new SSEClientTransport(new URL(`/sse/${TOKENS.tenAgent}`, first.url));
    const client = new Client({ name: 'owner', version: '1' });
    await client.connect(transport);
    const sessionId = (transport as unknown as { _endpoint?: URL })._endpoint?.searchParams.get('sessionId') ?? '';
    try {
      // `toString` that is not a function breaks the SDK's own `Invalid message: ${body}` answer.
      for (const body of ['{"toString": 1}', '[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]', '{"secret":"do-not-echo-me"}']) {
        const response = await fetch(`${first.url}/messages/${TOKENS.tenAgent}?sessionId=${sessionId}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(3_000),
        });
        console.log('STATUS', response.status, await response.clone().text(), first.logs.slice(-3).join(''));
        expect(response.status).toBe(400);
        expect(await response.json()).toEqual({ error: 'the body must be one JSON-RPC message, as JSON (this transport takes no batches)' });
      }
      expect(first.logs.join('')).not.toContain('"level":"error"');
    } finally {
      await client.close();
    }
  });

  it('refuses unknown path tokens and requests from outside the private network', async () => {
    expect((await fetch(`${first.url}/sse/not-a-token-at-all-0000`)).status).toBe(401);
    const viaPublicProxy = await fetch(`${first.url}/sse/${TOKENS.tenAgent}`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(viaPublicProxy.status).toBe(403);
    expect(await viaPublicProxy.json()).toEqual({ error: 'the SSE transport is only served on the private network' });
  });
});
