import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivatePostgres, type PrivatePostgres } from '../../mcp-server/test/helpers/private-postgres.ts';
import { startPrivateRedis, type PrivateRedis } from '../../mcp-server/test/helpers/private-redis.ts';
import { POSTGRES_UNAVAILABLE, REDIS_UNAVAILABLE } from '../lib/dependency-unavailable.ts';
import { OUTBOX_KEY } from '../lib/history/outbox.ts';
import { signedInCookie } from './helpers/console-client.ts';
import { startConsoleStack, type ConsoleStack } from './helpers/console-stack.ts';

/**
 * The console on a private Redis and a private Postgres while signed-in users call tools in a
 * loop: Redis is stopped for about 1.5 s and started again, then Postgres for about 2.5 s. The
 * console is never restarted. Users must never be told a tool failed that ran, history must lose
 * nothing, and what needs a missing store must answer 503 in words, promptly, never hang.
 */
const USERS = 4;
/** Every request must be answered within this (a hang fails the test); the figures show how fast they were. */
const ANSWER_WITHIN_MS = 5_000;

type Phase = 'steady' | 'redis-down' | 'redis-back' | 'postgres-down' | 'postgres-back';

interface Answer {
  readonly kind: 'tool' | 'history' | 'ready';
  readonly user: number;
  readonly orderId?: string;
  readonly phase: Phase;
  /** 0 when no answer came within ANSWER_WITHIN_MS, or the connection failed. */
  readonly status: number;
  readonly body: { error?: string; callId?: string; historyPending?: boolean; isError?: boolean };
  readonly ms: number;
  /** When the answer came (Date.now()). */
  readonly at: number;
  readonly failure?: string;
}

/**
 * The users, in a worker thread: the private Postgres helper runs pg_ctl synchronously, which
 * would pause this thread's event loop (and so the users' clocks) while it stops or starts.
 */
const USERS_SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const { url, cookies, answerWithinMs } = workerData;
let phase = 'steady';
let running = true;
parentPort.on('message', (message) => {
  if (message.phase) phase = message.phase;
  if (message.stop) running = false;
});
const answers = [];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function ask(kind, user, path, init, orderId) {
  const asked = phase;
  const started = performance.now();
  try {
    const response = await fetch(url + path, { ...init, signal: AbortSignal.timeout(answerWithinMs) });
    const body = await response.json().catch(() => ({}));
    answers.push({ kind, user, orderId, phase: asked, status: response.status, body, ms: performance.now() - started, at: Date.now() });
  } catch (error) {
    answers.push({ kind, user, orderId, phase: asked, status: 0, body: {}, ms: performance.now() - started, at: Date.now(), failure: String(error) });
  }
}
async function callTools(user) {
  for (let n = 0; running; n += 1) {
    const orderId = 'F-' + user + '-' + n;
    await ask('tool', user, '/api/tools/call', {
      method: 'POST',
      headers: { cookie: cookies[user], origin: url, 'content-type': 'application/json', 'idempotency-key': 'fault-' + user + '-' + n + '-' + workerData.run },
      body: JSON.stringify({ name: 'lookup_order', arguments: { order_id: orderId } }),
    }, orderId);
    await sleep(100);
  }
}
async function probe(kind, path, cookie) {
  while (running) {
    await ask(kind, 0, path, cookie === undefined ? {} : { headers: { cookie } });
    await sleep(200);
  }
}
Promise.all([...cookies.map((_, user) => callTools(user)), probe('history', '/api/history', cookies[0]), probe('ready', '/api/ready')]).then(() => parentPort.postMessage(answers));
`;

let postgres: PrivatePostgres;
let redis: PrivateRedis;
let stack: ConsoleStack;
let cookies: string[];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
  stack = await startConsoleStack({
    databaseUrl: postgres.url,
    redisUrl: redis.url,
    // The users call as fast as the console answers: limits high, so what they meet is the outage.
    env: { RATE_LIMIT_USER_PER_MINUTE: '100000', LOG_LEVEL: 'warn' },
    mcpEnv: { RATE_LIMIT_PER_MINUTE: '100000' },
  });
  cookies = [];
  for (let user = 0; user < USERS; user += 1) cookies.push(await signedInCookie(redis.url, { sub: `fault-user-${user}-${randomBytes(2).toString('hex')}`, name: `User ${user}` }, 3600));
}, 120_000);

afterAll(async () => {
  await stack?.close();
  postgres?.destroy();
  await redis?.destroy();
});

function summary(answers: readonly Answer[]) {
  const count = (predicate: (answer: Answer) => boolean) => answers.filter(predicate).length;
  const slowest = Math.max(0, ...answers.map((answer) => answer.ms));
  return { answers: answers.length, ok: count((answer) => answer.status === 200), unavailable: count((answer) => answer.status === 503), other: count((answer) => answer.status !== 200 && answer.status !== 503), historyPending: count((answer) => answer.body.historyPending === true), slowestMs: Math.round(slowest) };
}

describe('a Redis restart and a Postgres outage under load', () => {
  it('never reports a tool that ran as failed, loses no history, answers 503 in words meanwhile, and recovers by itself', async () => {
    const users = new Worker(USERS_SCRIPT, { eval: true, workerData: { url: stack.url, cookies, answerWithinMs: ANSWER_WITHIN_MS, run: randomBytes(3).toString('hex') } });
    const finished = new Promise<Answer[]>((resolve, reject) => {
      users.once('message', resolve);
      users.once('error', reject);
    });
    const phase = (name: Phase) => users.postMessage({ phase: name });
    const timeline: Record<string, number> = {};
    const at = (event: string) => (timeline[event] = Date.now());

    at('start');
    await sleep(2_000);
    await redis.stop();
    at('redis stopped');
    phase('redis-down');
    await sleep(1_500);
    phase('redis-back');
    await redis.start();
    at('redis started');
    await sleep(3_000);
    postgres.stop();
    at('postgres stopped');
    phase('postgres-down');
    await sleep(2_500);
    phase('postgres-back');
    postgres.start();
    at('postgres started');
    // History catches up once the outbox is written: watch it empty while the users go on.
    const outbox = new Redis(redis.url);
    let outboxPeak = 0;
    try {
      for (;;) {
        const waiting = await outbox.llen(OUTBOX_KEY);
        outboxPeak = Math.max(outboxPeak, waiting);
        if (waiting === 0) break;
        if (Date.now() - (timeline['postgres started'] ?? 0) > 20_000) throw new Error('the outbox did not drain within 20 s of Postgres coming back');
        await sleep(50);
      }
    } finally {
      await outbox.quit();
    }
    at('outbox empty');
    await sleep(3_000);
    users.postMessage({ stop: true });
    const answers = await finished;
    await users.terminate();

    const db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    const { rows } = await db.query<{ id: string }>('SELECT id FROM console_tool_calls');
    await db.end();
    const inHistory = new Set(rows.map((row) => row.id));
    const ran = new Set(stack.pipedream.requestsTo('/workflows/lookup-order').map((request) => (request.body as { order_id?: string }).order_id));

    const tools = answers.filter((answer) => answer.kind === 'tool');
    const byPhase = (kind: Answer['kind'], name: Phase) => answers.filter((answer) => answer.kind === kind && answer.phase === name);
    const phases: Phase[] = ['steady', 'redis-down', 'redis-back', 'postgres-down', 'postgres-back'];
    const start = timeline['start'] ?? 0;
    console.log(`faults: timeline (ms from start) ${JSON.stringify(Object.fromEntries(Object.entries(timeline).map(([event, time]) => [event, time - start])))}`);
    for (const name of phases) console.log(`faults: ${name.padEnd(13)} tools ${JSON.stringify(summary(byPhase('tool', name)))} history ${JSON.stringify(summary(byPhase('history', name)))} ready ${JSON.stringify(summary(byPhase('ready', name)))}`);
    const reportedOk = tools.filter((answer) => answer.status === 200);
    const firstToolAnswer = (after: number) => tools.find((answer) => answer.status === 200 && answer.at > after && answer.phase !== 'redis-down')?.at ?? Number.NaN;
    const redisStarted = timeline['redis started'] ?? 0;
    console.log(`faults: tools answered again ${firstToolAnswer(redisStarted) - redisStarted} ms after Redis started; last 503 ${Math.max(...tools.filter((answer) => answer.status === 503).map((answer) => answer.at)) - redisStarted} ms after`);
    console.log(`faults: ${tools.length} tool calls, ${reportedOk.length} answered as run, ${ran.size} ran at Pipedream, ${inHistory.size} in history; outbox still held ${outboxPeak} entries when Postgres was started, empty ${(timeline['outbox empty'] ?? 0) - (timeline['postgres started'] ?? 0)} ms later`);

    // Never a hang, never anything but "done" or "unavailable, in words".
    expect(answers.filter((answer) => answer.status === 0)).toEqual([]);
    expect(answers.filter((answer) => answer.status !== 200 && answer.status !== 503)).toEqual([]);
    for (const answer of answers.filter((each) => each.status === 503 && each.kind !== 'ready')) expect([REDIS_UNAVAILABLE, POSTGRES_UNAVAILABLE]).toContain(answer.body.error);
    for (const answer of answers.filter((each) => each.status === 503 && each.kind === 'ready')) expect(answer.body).toMatchObject({ status: 'not ready' });

    // A tool that ran was never reported as failed; one reported as run ran and is in history.
    expect(tools.filter((answer) => answer.status !== 200 && ran.has(answer.orderId)).map((answer) => answer.orderId)).toEqual([]);
    expect(reportedOk.filter((answer) => !ran.has(answer.orderId)).map((answer) => answer.orderId)).toEqual([]);
    expect(reportedOk.filter((answer) => !inHistory.has(answer.body.callId ?? '')).map((answer) => answer.orderId)).toEqual([]);

    // Without Redis there are no sessions: every route says so. Without Postgres, tools keep working
    // (history catches up later) and only history itself is unavailable.
    expect(byPhase('tool', 'redis-down').length).toBeGreaterThan(0);
    expect(byPhase('tool', 'redis-down').every((answer) => answer.status === 503 && answer.body.error === REDIS_UNAVAILABLE)).toBe(true);
    expect(byPhase('ready', 'redis-down').every((answer) => answer.status === 503)).toBe(true);
    expect(byPhase('tool', 'postgres-down').length).toBeGreaterThan(0);
    expect(byPhase('tool', 'postgres-down').every((answer) => answer.status === 200)).toBe(true);
    expect(byPhase('tool', 'postgres-down').some((answer) => answer.body.historyPending === true)).toBe(true);
    expect(byPhase('history', 'postgres-down').some((answer) => answer.status === 503 && answer.body.error === POSTGRES_UNAVAILABLE)).toBe(true);

    // Recovered without a restart of the console: the same sessions work (Redis kept them in its
    // append-only file) and the last calls of each user went through.
    expect(stack.pid !== undefined && process.kill(stack.pid, 0)).toBe(true);
    for (let user = 0; user < USERS; user += 1) {
      const last = tools.filter((answer) => answer.user === user).at(-1);
      expect(last?.status).toBe(200);
    }
    expect(byPhase('history', 'postgres-back').at(-1)?.status).toBe(200);
    expect(byPhase('ready', 'postgres-back').at(-1)?.status).toBe(200);
  }, 120_000);
});
