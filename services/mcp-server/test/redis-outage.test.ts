import { randomBytes } from 'node:crypto';
import { Client, SSEClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakePipedream, type FakePipedream } from './fakes/fake-pipedream.ts';
import { createTestDatabase, startMcpServer, TOKENS, type RunningServer } from './helpers/mcp.ts';
import { eventually } from './helpers/raw-http.ts';
import { startPrivateRedis, type PrivateRedis } from './helpers/private-redis.ts';

/**
 * The legacy SSE transport routes through Redis. While Redis is away the server says so at once
 * (503) instead of hanging, /ready says not ready, and once Redis is back everything works again
 * without a restart.
 */

let fake: FakePipedream;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let redis: PrivateRedis;
/** Two replicas on the private Redis, sharing a channel prefix. */
let first: RunningServer;
let second: RunningServer;

/** An SSE client whose stream is on `streamFrom` and whose POSTs go to `postTo`, as a load balancer may send them. */
async function sseClient(streamFrom: RunningServer, postTo: RunningServer): Promise<{ client: Client; sessionId: () => string }> {
  const transport = new SSEClientTransport(new URL(`/sse/${TOKENS.tenAgent}`, streamFrom.url), {
    fetch: (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if ((init?.method ?? 'GET') === 'POST') url.host = new URL(postTo.url).host;
      return fetch(url, init);
    },
  });
  const client = new Client({ name: 'ten-agent-like', version: '1' });
  await client.connect(transport);
  return { client, sessionId: () => (transport as unknown as { _endpoint?: URL })._endpoint?.searchParams.get('sessionId') ?? '' };
}

/** A fetch that must answer within `ms`: a hang fails the test instead of stalling it. */
function boundedFetch(url: string, init: RequestInit = {}, ms = 2_000): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(ms) });
}

beforeAll(async () => {
  fake = await startFakePipedream();
  database = await createTestDatabase();
  redis = await startPrivateRedis();
  const channelPrefix = `mcp-outage:${randomBytes(4).toString('hex')}:`;
  first = await startMcpServer({ fake, databaseUrl: database.url, redisUrl: redis.url, channelPrefix });
  second = await startMcpServer({ fake, databaseUrl: database.url, redisUrl: redis.url, channelPrefix });
});

afterAll(async () => {
  await first?.close();
  await second?.close();
  await redis?.destroy();
  await fake?.close();
  await database?.drop();
});

describe('when Redis goes away and comes back', () => {
  it('answers 503 at once instead of hanging, and recovers without a restart', async () => {
    const routed = await sseClient(first, second);
    expect((await routed.client.callTool({ name: 'flaky_service', arguments: { sku: 'before' } })).isError).toBeFalsy();
    const sessionId = routed.sessionId();

    await redis.stop();
    try {
      const sse = await boundedFetch(`${first.url}/sse/${TOKENS.tenAgent}`);
      expect(sse.status).toBe(503);
      expect(await sse.json()).toEqual({ error: 'the SSE transport is unavailable: Redis, which routes its messages between replicas, is not answering; try again shortly' });
      expect(sse.headers.get('retry-after')).toBe('2');

      // A message for a session held by the other replica cannot be routed.
      const message = { jsonrpc: '2.0', id: 99, method: 'tools/list' };
      const elsewhere = await boundedFetch(`${second.url}/messages/${TOKENS.tenAgent}?sessionId=${sessionId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(message),
      });
      expect(elsewhere.status).toBe(503);
      // One for a session this replica holds needs no Redis.
      const here = await boundedFetch(`${first.url}/messages/${TOKENS.tenAgent}?sessionId=${sessionId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(message),
      });
      expect(here.status).toBe(202);

      const ready = await boundedFetch(`${first.url}/ready`, {}, 3_000);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'not ready', checks: { redis: false, postgres: true } });
    } finally {
      await redis.start();
    }

    await eventually(async () => (await boundedFetch(`${first.url}/ready`, {}, 3_000)).status === 200, 10_000, '/ready did not recover after Redis came back');
    await eventually(async () => (await boundedFetch(`${second.url}/ready`, {}, 3_000)).status === 200, 10_000, 'the second replica did not recover');
    // The session opened before the outage is routed again: its subscription came back with Redis.
    expect((await routed.client.callTool({ name: 'flaky_service', arguments: { sku: 'after' } })).isError).toBeFalsy();
    await routed.client.close();
    // And a new session works end to end.
    const fresh = await sseClient(second, first);
    expect((await fresh.client.listTools()).tools.map((tool) => tool.name)).toContain('flaky_service');
    expect((await fresh.client.callTool({ name: 'flaky_service', arguments: { sku: 'new' } })).isError).toBeFalsy();
    await fresh.client.close();
  });
});
