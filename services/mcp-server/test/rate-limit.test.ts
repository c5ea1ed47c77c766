import { Client, SSEClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakePipedream, type FakePipedream } from './fakes/fake-pipedream.ts';
import { createTestDatabase, startMcpServer, TOKENS, type RunningServer } from './helpers/mcp.ts';

/**
 * The rate limit counts tool-protocol messages, not HTTP requests: a JSON-RPC batch costs one
 * per message. Trusted callers are limited per end user.
 */

let fake: FakePipedream;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
/** RATE_LIMIT_PER_MINUTE=5 */
let server: RunningServer;
/** The default limit, for the batch rules. */
let roomy: RunningServer;

const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

function toolCall(id: number) {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'flaky_service', arguments: { sku: `R-${id}` } } };
}

function postMcp(body: unknown, headers: Record<string, string>, to: RunningServer = server) {
  return fetch(`${to.url}/mcp`, { method: 'POST', headers: { ...MCP_HEADERS, ...headers }, body: JSON.stringify(body) });
}

/** Console requests for one signed-in user; each test uses its own users, so budgets start full. */
function asUser(user: string): Record<string, string> {
  return { authorization: `Bearer ${TOKENS.console}`, 'x-end-user-id': user };
}

beforeAll(async () => {
  fake = await startFakePipedream();
  database = await createTestDatabase();
  server = await startMcpServer({ fake, databaseUrl: database.url, env: { RATE_LIMIT_PER_MINUTE: '5' } });
  roomy = await startMcpServer({ fake, databaseUrl: database.url });
});

afterAll(async () => {
  await server?.close();
  await roomy?.close();
  await fake?.close();
  await database?.drop();
});

describe('rate limit', () => {
  it('charges a batch one call per message, so a batch cannot multiply the limit', async () => {
    const before = fake.requestsTo('/workflows/flaky').length;
    const big = await postMcp(Array.from({ length: 100 }, (_, index) => toolCall(index)), { ...asUser('batch-user'), 'mcp-protocol-version': '2025-03-26' });
    expect(big.status).toBe(429);
    expect(big.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await big.json()).toEqual({
      jsonrpc: '2.0',
      error: { code: -32000, message: expect.stringMatching(/^Rate limit exceeded: at most 5 messages a minute; retry in \d+ s$/) },
      id: null,
    });
    expect(fake.requestsTo('/workflows/flaky').length).toBe(before);

    // The refused batch cost one (its request); a batch that fits runs, and uses up the rest
    // of the budget message by message.
    const fits = await postMcp([toolCall(1), toolCall(2), toolCall(3)], { ...asUser('batch-user'), 'mcp-protocol-version': '2025-03-26' });
    expect(fits.status).toBe(200);
    expect(((await fits.json()) as unknown[]).length).toBe(3);
    expect((await postMcp(toolCall(4), asUser('batch-user'))).status).toBe(200);
    expect((await postMcp(toolCall(5), asUser('batch-user'))).status).toBe(429);
    expect(fake.requestsTo('/workflows/flaky').length - before).toBe(4);
  });

  it('limits a trusted caller per end user: one user, or its anonymous smoke test, cannot exhaust the others', async () => {
    for (let call = 1; call <= 5; call += 1) expect((await postMcp(toolCall(call), asUser('user-a'))).status).toBe(200);
    expect((await postMcp(toolCall(6), asUser('user-a'))).status).toBe(429);
    expect((await postMcp(toolCall(7), asUser('user-b'))).status).toBe(200);

    const anonymous = { authorization: `Bearer ${TOKENS.console}` };
    for (let call = 1; call <= 5; call += 1) expect((await postMcp(toolCall(call), anonymous)).status).toBe(200);
    expect((await postMcp(toolCall(6), anonymous)).status).toBe(429);
    expect((await postMcp(toolCall(7), asUser('user-c'))).status).toBe(200);
  });

  it('limits other callers per caller, whatever end user they name', async () => {
    const agent = (user: string) => ({ authorization: `Bearer ${TOKENS.tenAgent}`, 'x-end-user-id': user });
    for (let call = 1; call <= 5; call += 1) expect((await postMcp(toolCall(call), agent(`agent-user-${call}`))).status).toBe(200);
    expect((await postMcp(toolCall(6), agent('agent-user-6'))).status).toBe(429);
  });

  it('counts each /execute-tool request as one call', async () => {
    const limited = await startMcpServer({ fake, databaseUrl: database.url, env: { RATE_LIMIT_PER_MINUTE: '3' } });
    try {
      const call = (token: string) =>
        fetch(`${limited.url}/execute-tool`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ tool: 'nope' }),
        });
      const statuses = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await call(TOKENS.console)).status);
      expect(statuses).toEqual([404, 404, 404, 429]);
      expect((await call(TOKENS.tenAgent)).status).toBe(404);
    } finally {
      await limited.close();
    }
  });

  it('counts each legacy /messages POST as one call', async () => {
    const limited = await startMcpServer({ fake, databaseUrl: database.url, env: { RATE_LIMIT_PER_MINUTE: '3' } });
    const transport = new SSEClientTransport(new URL(`/sse/${TOKENS.tenAgent}`, limited.url));
    const client = new Client({ name: 'legacy', version: '1' });
    try {
      // initialize and notifications/initialized are two of the three.
      await client.connect(transport);
      await client.listTools();
      await expect(client.listTools()).rejects.toThrow(/429/);
    } finally {
      await client.close();
      await limited.close();
    }
  });
});

describe('JSON-RPC batches', () => {
  const batch = [
    { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    { jsonrpc: '2.0', id: 2, method: 'tools/list' },
  ];

  it('refuses a batch when the protocol version in MCP-Protocol-Version has none (2025-06-18 on)', async () => {
    for (const version of ['2025-06-18', '2025-11-25']) {
      const response = await postMcp(batch, { ...asUser('batch-user'), 'mcp-protocol-version': version }, roomy);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        jsonrpc: '2.0',
        error: { code: -32600, message: `Invalid Request: protocol version ${version} has no JSON-RPC batches (they were removed in 2025-06-18); send one message per request` },
        id: null,
      });
    }
    const single = await postMcp(batch[0], { ...asUser('batch-user'), 'mcp-protocol-version': '2025-06-18' }, roomy);
    expect(single.status).toBe(200);
  });

  it('accepts a batch from older protocol versions, and from clients that name none', async () => {
    for (const headers of [{ 'mcp-protocol-version': '2025-03-26' }, {}] as Array<Record<string, string>>) {
      const response = await postMcp(batch, { ...asUser('batch-user'), ...headers }, roomy);
      expect(response.status).toBe(200);
      expect(((await response.json()) as Array<{ id: number }>).map((answer) => answer.id).sort()).toEqual([1, 2]);
    }
  });

  it('refuses a batch that uses one request id twice, since one of the answers would be lost', async () => {
    const before = fake.requestsTo('/workflows/flaky').length;
    const response = await postMcp([toolCall(9), toolCall(9)], { ...asUser('batch-user'), 'mcp-protocol-version': '2025-03-26' }, roomy);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request: request id 9 appears more than once in the batch' }, id: null });
    expect(fake.requestsTo('/workflows/flaky').length).toBe(before);
  });

  it('refuses a batch that cancels one of its own requests, which would otherwise never be answered', async () => {
    const before = fake.requestsTo('/workflows/flaky').length;
    const response = await fetch(`${roomy.url}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...asUser('batch-user'), 'mcp-protocol-version': '2025-03-26' },
      body: JSON.stringify([toolCall(5), { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 5 } }]),
      signal: AbortSignal.timeout(3_000),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      jsonrpc: '2.0',
      error: { code: -32600, message: 'Invalid Request: the batch cancels its own request 5; send the cancellation on its own' },
      id: null,
    });
    expect(fake.requestsTo('/workflows/flaky').length).toBe(before);
  });
});
