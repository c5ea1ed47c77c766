import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivatePostgres, type PrivatePostgres } from '../../mcp-server/test/helpers/private-postgres.ts';
import { startPrivateRedis, type PrivateRedis } from '../../mcp-server/test/helpers/private-redis.ts';
import { consoleCall, signedInCookie } from './helpers/console-client.ts';
import { startConsoleStack, type ConsoleStack } from './helpers/console-stack.ts';

/**
 * Finding 3: a tool that ran is never reported as failed. Its history record survives arguments
 * jsonb cannot hold and a Postgres outage (an outbox in Redis), and a retry with the same request
 * id gets the first outcome instead of running the tool again.
 */
let postgres: PrivatePostgres;
let redis: PrivateRedis;
let stack: ConsoleStack;
let cookie: string;
let sub: string;
let db: pg.Pool;

interface ToolAnswer {
  isError: boolean;
  text: string;
  callId?: string;
  historyPending?: boolean;
  note?: string;
}

const callTool = (args: Record<string, unknown>, key?: string, name = 'lookup_order') =>
  consoleCall(stack.url, '/api/tools/call', { cookie, body: { name, arguments: args }, ...(key !== undefined ? { headers: { 'idempotency-key': key } } : {}) });

/** How many times the fake Pipedream ran lookup-order for this order number. */
const runs = (orderId: string) => stack.pipedream.requestsTo('/workflows/lookup-order').filter((request) => (request.body as { order_id?: string }).order_id === orderId).length;

async function historyRow(callId: string) {
  const { rows } = await db.query<{ tool: string; arguments: Record<string, unknown>; request_id: string | null }>('SELECT tool, arguments, request_id FROM console_tool_calls WHERE id = $1', [callId]);
  return rows[0];
}

async function eventually<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
  stack = await startConsoleStack({ databaseUrl: postgres.url, redisUrl: redis.url });
  sub = `ada-${randomBytes(3).toString('hex')}`;
  cookie = await signedInCookie(redis.url, { sub, name: 'Ada' });
  db = new pg.Pool({ connectionString: postgres.url });
  db.on('error', () => undefined);
}, 120_000);

afterAll(async () => {
  await db?.end();
  await stack?.close();
  postgres?.destroy();
  await redis?.destroy();
});

describe('a Connect action for a user with no account connected', () => {
  it('gives the user the Connect Link and stores none of its token', async () => {
    const response = await callTool({ text: 'hello', channel: 'C1' }, undefined, 'send_slack_message');
    expect(response.status).toBe(200);
    const answer = (await response.json()) as ToolAnswer & { structuredContent?: { connectLinkUrl?: string } };
    const link = answer.structuredContent?.connectLinkUrl;
    expect(link).toMatch(/connect\.html\?token=ctok_\d+&connectLink=true&app=slack$/);
    expect(answer.isError).toBe(true);
    expect(answer.text).toContain(link);
    const token = /token=(ctok_\d+)/.exec(link!)![1]!;
    const { rows } = await db.query<{ result_text: string }>('SELECT result_text FROM console_tool_calls WHERE id = $1', [answer.callId]);
    expect(rows[0]?.result_text).toContain('connect.html?token=[redacted]&connectLink=true&app=slack');
    expect(rows[0]?.result_text).not.toContain(token);
  });
});

describe('a tool call that ran', () => {
  it('is recorded even with arguments jsonb refuses (NUL, lone surrogates), with a marker in their place', async () => {
    const response = await callTool({ sku: 'before\u0000after', note: 'half \ud800 pair' }, undefined, 'flaky_service');
    expect(response.status).toBe(200);
    const answer = (await response.json()) as ToolAnswer;
    expect(answer.isError).toBe(false);
    expect(stack.pipedream.requestsTo('/workflows/flaky').length).toBeGreaterThan(0);
    const row = await historyRow(answer.callId ?? '');
    expect(row?.arguments).toEqual({ sku: 'before\ufffdafter', note: 'half \ufffd pair' });
  });

  it('is not run again for a repeated request id: the first outcome comes back', async () => {
    const key = randomUUID();
    const first = await callTool({ order_id: 'R-1001' }, key);
    expect(first.status).toBe(200);
    const firstAnswer = (await first.json()) as ToolAnswer;
    const again = await callTool({ order_id: 'R-1001' }, key);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ...firstAnswer, replayed: true });
    expect(runs('R-1001')).toBe(1);
    expect((await historyRow(firstAnswer.callId ?? ''))?.request_id).toBe(key);
  });

  it('says so while the first attempt is still running, then gives its outcome', async () => {
    const key = randomUUID();
    stack.pipedream.setWorkflow('lookup-order', { delayMs: 1_500, body: { status: 'shipped' } });
    try {
      const first = callTool({ order_id: 'R-2002' }, key);
      await eventually(async () => (runs('R-2002') === 1 ? true : undefined), 'the first attempt reaching the tool');
      const during = await callTool({ order_id: 'R-2002' }, key);
      expect(during.status).toBe(409);
      expect(await during.json()).toEqual({ error: 'This action is still running; wait a moment, then try again to see its result.' });
      expect((await first).status).toBe(200);
      const after = await callTool({ order_id: 'R-2002' }, key);
      expect(after.status).toBe(200);
      expect(((await after.json()) as { replayed?: boolean }).replayed).toBe(true);
      expect(runs('R-2002')).toBe(1);
    } finally {
      stack.pipedream.setWorkflow('lookup-order', {});
    }
  });

  it('refuses a request id used before for another call', async () => {
    const key = randomUUID();
    expect((await callTool({ order_id: 'R-3003' }, key)).status).toBe(200);
    const other = await callTool({ order_id: 'R-3004' }, key);
    expect(other.status).toBe(422);
    expect(await other.json()).toEqual({ error: 'This request id was already used for another tool call; send a new one.' });
    expect(runs('R-3004')).toBe(0);
  });
});

describe('while Postgres is down', () => {
  it('still answers with the tool’s result, keeps the record in the outbox and writes it once Postgres is back', async () => {
    postgres.stop();
    try {
      const response = await callTool({ order_id: 'P-4004' }, randomUUID());
      expect(response.status).toBe(200);
      const answer = (await response.json()) as ToolAnswer;
      expect(answer).toMatchObject({ isError: false, historyPending: true, note: 'The tool ran. Your history will show this call once the history database is back.' });
      expect(runs('P-4004')).toBe(1);
      const history = await consoleCall(stack.url, '/api/history', { cookie });
      expect(history.status).toBe(503);
      expect(await history.json()).toEqual({ error: 'Your history cannot be reached right now; try again in a moment.' });
      postgres.start();
      const row = await eventually(() => historyRow(answer.callId ?? ''), 'the outbox draining into history');
      expect(row).toMatchObject({ tool: 'lookup_order', arguments: { order_id: 'P-4004' } });
      const { toolCalls } = (await (await consoleCall(stack.url, '/api/history', { cookie })).json()) as { toolCalls: Array<{ id: string }> };
      expect(toolCalls.map((call) => call.id)).toContain(answer.callId);
    } finally {
      try {
        postgres.start();
      } catch {
        // already running
      }
    }
  });

  it('logs a record it can keep nowhere else as one structured line, and still reports the result', async () => {
    const key = randomUUID();
    stack.pipedream.setWorkflow('lookup-order', { delayMs: 1_500, body: { status: 'shipped' } });
    try {
      const pending = callTool({ order_id: 'L-5005' }, key);
      await eventually(async () => (runs('L-5005') === 1 ? true : undefined), 'the call reaching the tool');
      // Both stores go away while the tool runs.
      await redis.stop();
      postgres.stop();
      const response = await pending;
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ isError: false, historyPending: true });
      const line = await eventually(
        async () => stack.output().split('\n').find((entry) => entry.includes('"historyRecord"') && entry.includes(key)),
        'the record in the log',
      );
      expect(JSON.parse(line)).toMatchObject({ level: 'error', service: 'console', msg: 'history record kept only in this log', historyRecord: { kind: 'tool-call', requestId: key, tool: 'lookup_order', arguments: { order_id: 'L-5005' } } });
    } finally {
      stack.pipedream.setWorkflow('lookup-order', {});
      await redis.start();
      try {
        postgres.start();
      } catch {
        // already running
      }
    }
  });
});

describe('the outbox', () => {
  it('is empty once everything is back', async () => {
    const client = new Redis(redis.url);
    try {
      await eventually(async () => ((await client.llen('console:history:outbox')) === 0 ? true : undefined), 'the outbox emptying');
    } finally {
      await client.quit();
    }
  });
});
