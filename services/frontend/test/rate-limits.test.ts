import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleCall, signedInCookie } from './helpers/console-client.ts';
import { startConsoleStack, startReplica, type ConsoleStack } from './helpers/console-stack.ts';

/**
 * Finding 1: anonymous requests must not spend the console's shared MCP budget, the console's own
 * routes are rate-limited per signed-in user and per client address, and a busy MCP server is
 * reported as busy.
 */
const ADDRESS_LIMIT = 40;
const USER_LIMIT = 30;

let stack: ConsoleStack;

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
/**
 * A fresh client address per caller, as the proxy in front of the console reports it: a random /64
 * of the IPv6 documentation prefix (the console counts IPv6 clients by /64), so counts left in the
 * shared Redis by an earlier run do not meet this one.
 */
const address = () => `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::1`;

beforeAll(async () => {
  stack = await startConsoleStack({
    mcpProxy: true,
    env: { RATE_LIMIT_ADDRESS_PER_MINUTE: String(ADDRESS_LIMIT), RATE_LIMIT_USER_PER_MINUTE: String(USER_LIMIT) },
  });
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe('the smoke test', () => {
  it('answers from one cached probe however many ask, sent without an end user', async () => {
    const proxy = stack.mcpProxy!;
    const before = proxy.requests.length;
    const answers: Response[] = [];
    // 300 anonymous callers from 300 addresses: no per-address limit stops them, only the cache.
    for (let batch = 0; batch < 6; batch += 1) {
      answers.push(...(await Promise.all(Array.from({ length: 50 }, () => consoleCall(stack.url, '/api/mcp/test', { address: address() })))));
    }
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    expect(await answers[0]!.json()).toMatchObject({ status: 'ok', tools: 4 });
    const sent = proxy.requests.slice(before);
    expect(sent.filter((request) => request.rpcMethod === 'tools/list')).toHaveLength(1);
    expect(sent.length).toBeLessThanOrEqual(5);
    expect(sent.every((request) => request.headers['x-end-user-id'] === undefined)).toBe(true);

    // Signed-in users' tools are untouched by the crowd.
    const cookie = await signedInCookie(stack.redisUrl, { sub: unique('ada'), name: 'Ada' });
    expect((await consoleCall(stack.url, '/api/tools', { cookie })).status).toBe(200);
  });
});

describe('the console’s own limits', () => {
  it('limit anonymous requests per client address, and say when to come back', async () => {
    const crowded = address();
    for (let request = 0; request < ADDRESS_LIMIT; request += 1) expect((await consoleCall(stack.url, '/api/ready', { address: crowded })).status).toBe(200);
    const refused = await consoleCall(stack.url, '/api/ready', { address: crowded });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toEqual({ error: 'Too many requests; try again in a minute.' });
    // The smoke test and a sign-in start count against the same address, and a forged cookie does not escape it.
    expect((await consoleCall(stack.url, '/api/mcp/test', { address: crowded })).status).toBe(429);
    expect((await consoleCall(stack.url, '/api/history', { address: crowded, cookie: `console-session=${'a'.repeat(43)}.${'b'.repeat(43)}` })).status).toBe(429);
    // Another address is not affected.
    expect((await consoleCall(stack.url, '/api/ready', { address: address() })).status).toBe(200);
  });

  it('limit each signed-in user, not the address users share', async () => {
    const office = address();
    const busy = await signedInCookie(stack.redisUrl, { sub: unique('busy'), name: 'Busy' });
    const colleague = await signedInCookie(stack.redisUrl, { sub: unique('colleague'), name: 'Colleague' });
    for (let request = 0; request < USER_LIMIT; request += 1) expect((await consoleCall(stack.url, '/api/history', { cookie: busy, address: office })).status).toBe(200);
    const refused = await consoleCall(stack.url, '/api/history', { cookie: busy, address: office });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ error: 'Too many requests; try again in a minute.' });
    expect((await consoleCall(stack.url, '/api/tools/call', { cookie: busy, address: office, body: { name: 'lookup_order', arguments: { order_id: 'A-1' } } })).status).toBe(429);
    // Same address, other user: the user's count is theirs alone (more than ADDRESS_LIMIT requests from this address so far).
    for (let request = 0; request < 15; request += 1) expect((await consoleCall(stack.url, '/api/history', { cookie: colleague, address: office })).status).toBe(200);
  });
});

describe('two replicas', () => {
  it('share each count through Redis', async () => {
    const replica = await startReplica(stack);
    try {
      const cookie = await signedInCookie(stack.redisUrl, { sub: unique('shared'), name: 'Shared' });
      for (let request = 0; request < USER_LIMIT; request += 1) {
        const url = request % 2 === 0 ? stack.url : replica.url;
        expect((await consoleCall(url, '/api/history', { cookie })).status).toBe(200);
      }
      expect((await consoleCall(replica.url, '/api/history', { cookie })).status).toBe(429);
      expect((await consoleCall(stack.url, '/api/history', { cookie })).status).toBe(429);
    } finally {
      await replica.close();
    }
  }, 60_000);
});

describe('the MCP server', () => {
  it('is reported busy when it answers 429, and the tool did not run', async () => {
    const cookie = await signedInCookie(stack.redisUrl, { sub: unique('grace'), name: 'Grace' });
    // A connection first, so the console has the server's era and the refused request is the call itself.
    expect((await consoleCall(stack.url, '/api/tools', { cookie })).status).toBe(200);
    const before = stack.pipedream.requestsTo('/workflows/lookup-order').length;
    stack.mcpProxy!.refuseNext(1, 429);
    const busy = await consoleCall(stack.url, '/api/tools/call', { cookie, body: { name: 'lookup_order', arguments: { order_id: 'B-1' } } });
    expect(busy.status).toBe(429);
    expect(await busy.json()).toEqual({ error: 'The tool server is busy; try again in a moment.' });
    expect(stack.pipedream.requestsTo('/workflows/lookup-order')).toHaveLength(before);

    stack.mcpProxy!.refuseNext(1, 429);
    const list = await consoleCall(stack.url, '/api/tools', { cookie });
    expect(list.status).toBe(429);
    expect(await list.json()).toEqual({ error: 'The tool server is busy; try again in a moment.' });
  });

  it('is spoken to in 2026-07-28, probed once for many requests rather than once each', async () => {
    const cookie = await signedInCookie(stack.redisUrl, { sub: unique('ida'), name: 'Ida' });
    const before = stack.mcpProxy!.requests.length;
    for (let request = 0; request < 3; request += 1) expect((await consoleCall(stack.url, '/api/tools', { cookie })).status).toBe(200);
    const sent = stack.mcpProxy!.requests.slice(before);
    expect(sent.filter((request) => request.rpcMethod === 'tools/list')).toHaveLength(3);
    // At most one probe (none when an earlier test's is still fresh), and no 2025 handshake.
    expect(sent.filter((request) => request.rpcMethod === 'server/discover').length).toBeLessThanOrEqual(1);
    expect(sent.filter((request) => request.rpcMethod === 'initialize')).toEqual([]);
    expect(sent.filter((request) => request.rpcMethod === 'tools/list').every((request) => request.headers['mcp-protocol-version'] === '2026-07-28')).toBe(true);
  });

  it('is told which signed-in user every tool request is for', async () => {
    const sub = unique('lin');
    const cookie = await signedInCookie(stack.redisUrl, { sub, name: 'Lin' });
    const before = stack.mcpProxy!.requests.length;
    expect((await consoleCall(stack.url, '/api/tools', { cookie })).status).toBe(200);
    expect((await consoleCall(stack.url, '/api/tools/call', { cookie, body: { name: 'lookup_order', arguments: { order_id: 'C-1' } } })).status).toBe(200);
    const sent = stack.mcpProxy!.requests.slice(before);
    expect(sent.map((request) => request.rpcMethod)).toEqual(expect.arrayContaining(['tools/list', 'tools/call']));
    expect(sent.filter((request) => request.method === 'POST').every((request) => request.headers['x-end-user-id'] === sub)).toBe(true);
  });
});
