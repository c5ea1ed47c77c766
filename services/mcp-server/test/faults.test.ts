import { Client, SSEClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeArgumentNames } from '../src/audit/audit-text.ts';
import { startFakePipedream, type FakePipedream } from './fakes/fake-pipedream.ts';
import { auditSettled, connectClient, startMcpServer, TOKENS, type RunningServer } from './helpers/mcp.ts';
import { eventually } from './helpers/raw-http.ts';
import { startPrivatePostgres, type PrivatePostgres } from './helpers/private-postgres.ts';
import { startPrivateRedis, type PrivateRedis } from './helpers/private-redis.ts';

/**
 * Faults under load: several clients call tools steadily over /mcp, /execute-tool and one legacy
 * SSE session while Redis restarts and Postgres goes away for a few seconds. No call that ran may
 * be reported failed, no audit row may be lost, the user must get a plain answer meanwhile (never
 * a hang), and the server must recover by itself.
 */

let fake: FakePipedream;
let postgres: PrivatePostgres;
let redis: PrivateRedis;
let server: RunningServer;

type Transport = 'mcp' | 'rest' | 'sse';

/** One tool call as its client saw it. */
interface Outcome {
  readonly marker: string;
  readonly transport: Transport;
  readonly startedAt: number;
  readonly endedAt: number;
  /** A result came back (successful or not). */
  readonly answered: boolean;
  readonly ok: boolean;
  readonly problem?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A request that must answer within `ms`: a hang fails the test instead of stalling it. */
async function probe(path: string, ms = 2_500): Promise<{ status: number; body: string; ms: number }> {
  const started = Date.now();
  const response = await fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(ms) });
  const body = await response.text();
  return { status: response.status, body, ms: Date.now() - started };
}

async function sseClient(): Promise<Client> {
  const client = new Client({ name: 'ten-agent-like', version: '1' });
  await client.connect(new SSEClientTransport(new URL(`/sse/${TOKENS.tenAgent}`, server.url)));
  return client;
}

beforeAll(async () => {
  fake = await startFakePipedream();
  [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
  server = await startMcpServer({ fake, databaseUrl: postgres.url, redisUrl: redis.url, env: { RATE_LIMIT_PER_MINUTE: '1000000' } });
});

afterAll(async () => {
  await server?.close();
  await redis?.destroy();
  postgres?.destroy();
  await fake?.close();
});

describe('a Redis restart and a Postgres outage under load', () => {
  it('fail no call that ran, lose no audit row, answer plainly meanwhile and recover without a restart', async () => {
    const outcomes: Outcome[] = [];
    let calls = 0;
    let stopping = false;
    let maxBacklog = 0;

    /** Calls one tool again and again (a short pause between calls keeps the load steady, not flat out). */
    const loop = async (transport: Transport, call: (args: Record<string, unknown>) => Promise<unknown>) => {
      while (!stopping) {
        const marker = `m${(calls += 1)}`;
        const startedAt = Date.now();
        try {
          const result = (await call({ sku: 'S-1', [marker]: 1 })) as { isError?: unknown };
          outcomes.push({ marker, transport, startedAt, endedAt: Date.now(), answered: true, ok: result.isError !== true });
        } catch (error) {
          outcomes.push({ marker, transport, startedAt, endedAt: Date.now(), answered: false, ok: false, problem: (error as Error).message });
        }
        await sleep(10);
      }
    };
    const mcpClients = await Promise.all([TOKENS.console, TOKENS.tenAgent, TOKENS.console, TOKENS.rotated].map((token) => connectClient(server.url, token)));
    const legacy = await sseClient();
    const rest = async (args: Record<string, unknown>) => {
      const response = await fetch(`${server.url}/execute-tool`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKENS.console}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tool: 'flaky_service', args }),
      });
      if (response.status !== 200) throw new Error(`POST /execute-tool answered ${response.status}: ${await response.text()}`);
      return response.json();
    };
    const load = [
      ...mcpClients.map((client) => loop('mcp', (args) => client.callTool({ name: 'flaky_service', arguments: args }))),
      loop('rest', rest),
      loop('rest', rest),
      loop('sse', (args) => legacy.callTool({ name: 'flaky_service', arguments: args })),
    ];
    const sampler = setInterval(() => (maxBacklog = Math.max(maxBacklog, server.mcp.audit.pending)), 10);

    try {
      await sleep(1_000);

      // Redis restarts: the SSE transport and /ready say so at once, and come back by themselves.
      await redis.stop();
      const redisDownAt = Date.now();
      const sseWhileRedisDown = await probe(`/sse/${TOKENS.tenAgent}`);
      const readyWhileRedisDown = await probe('/ready');
      await sleep(Math.max(0, 1_500 - (Date.now() - redisDownAt)));
      await redis.start();
      const redisUpAt = Date.now();
      while ((await probe('/ready')).status !== 200) {
        if (Date.now() - redisUpAt > 10_000) throw new Error('/ready did not recover within 10 s of Redis coming back');
        await sleep(50);
      }
      const redisRecoveryMs = Date.now() - redisUpAt;
      await sleep(500);

      // Postgres goes away for a few seconds: tool calls go on, their records wait.
      await postgres.stopAsync();
      const postgresDownAt = Date.now();
      await sleep(1_000);
      const readyWhilePostgresDown = await probe('/ready');
      await sleep(1_500);
      const postgresUpFrom = Date.now();
      await postgres.startAsync();
      const postgresUpAt = Date.now();
      while ((await probe('/ready')).status !== 200) {
        if (Date.now() - postgresUpAt > 15_000) throw new Error('/ready did not recover within 15 s of Postgres coming back');
        await sleep(50);
      }
      const postgresRecoveryMs = Date.now() - postgresUpAt;
      // The records held during the outage are written once every record still waiting was made after it.
      await eventually(() => server.mcp.audit.oldestPendingMs < Date.now() - postgresUpAt, 15_000, 'the audit backlog was not written after Postgres came back');
      const backlogWrittenMs = Date.now() - postgresUpAt;
      await sleep(500);
      stopping = true;
      await Promise.all(load);

      // What the user saw meanwhile.
      expect(sseWhileRedisDown.status).toBe(503);
      expect(JSON.parse(sseWhileRedisDown.body)).toEqual({ error: 'the SSE transport is unavailable: Redis, which routes its messages between replicas, is not answering; try again shortly' });
      expect(readyWhileRedisDown.status).toBe(503);
      expect(JSON.parse(readyWhileRedisDown.body)).toMatchObject({ status: 'not ready', checks: { redis: false } });
      expect(readyWhilePostgresDown.status).toBe(503);
      expect(JSON.parse(readyWhilePostgresDown.body)).toMatchObject({ status: 'not ready', checks: { postgres: false } });
      const duringPostgresOutage = outcomes.filter((outcome) => outcome.transport === 'mcp' && outcome.startedAt >= postgresDownAt && outcome.endedAt <= postgresUpFrom);
      expect(duringPostgresOutage.length).toBeGreaterThan(0);
      expect(duringPostgresOutage.filter((outcome) => !outcome.ok)).toEqual([]);
      const duringRedisOutage = outcomes.filter((outcome) => outcome.startedAt >= redisDownAt && outcome.endedAt <= redisUpAt);
      expect(new Set(duringRedisOutage.map((outcome) => outcome.transport))).toEqual(new Set(['mcp', 'rest', 'sse']));
      // Every call, over every transport, succeeded throughout.
      expect(outcomes.filter((outcome) => !outcome.ok).slice(0, 5)).toEqual([]);

      // No call that reached the workflow was reported failed to its client.
      const okMarkers = new Set(outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.marker));
      const ranMarkers = fake.requestsTo('/workflows/flaky').flatMap((sent) => Object.keys(sent.body as Record<string, unknown>).filter((name) => /^m\d+$/.test(name)));
      expect(ranMarkers.filter((marker) => !okMarkers.has(marker))).toEqual([]);

      // Recovery without a restart: a new SSE session lists tools and calls one.
      const fresh = await sseClient();
      expect((await fresh.listTools()).tools.map((tool) => tool.name)).toContain('flaky_service');
      expect((await fresh.callTool({ name: 'flaky_service', arguments: { sku: 'S-2', after: 1 } })).isError).toBeFalsy();
      await fresh.close();

      // No audit row lost: every call that returned a result has exactly one row.
      const settleStarted = Date.now();
      await auditSettled(server.mcp, 30_000);
      const settleMs = Date.now() - settleStarted;
      const { rows } = await server.pool.query<{ argument_names: string }>('SELECT argument_names FROM mcp_tool_calls');
      const rowsByMarker = new Map<string, number>();
      for (const row of rows) {
        for (const name of decodeArgumentNames(row.argument_names)) if (/^m\d+$/.test(name)) rowsByMarker.set(name, (rowsByMarker.get(name) ?? 0) + 1);
      }
      const answered = outcomes.filter((outcome) => outcome.answered);
      expect(answered.filter((outcome) => rowsByMarker.get(outcome.marker) !== 1).map((outcome) => outcome.marker)).toEqual([]);
      expect(rows.length).toBe(answered.length + 1);
      expect(server.mcp.audit.pending).toBe(0);
      // The outage did hold records back.
      expect(maxBacklog).toBeGreaterThan(0);

      const byTransport = (transport: Transport) => outcomes.filter((outcome) => outcome.transport === transport).length;
      console.log(
        `faults: ${outcomes.length} tool calls (mcp ${byTransport('mcp')}, rest ${byTransport('rest')}, sse ${byTransport('sse')}), ` +
          `${outcomes.filter((outcome) => !outcome.ok).length} failed; ${ranMarkers.length} reached the workflow; ${rows.length} audit rows; ` +
          `max audit backlog ${maxBacklog}; ${duringPostgresOutage.length} /mcp calls completed while Postgres was down; ` +
          `while Redis was down GET /sse answered ${sseWhileRedisDown.status} in ${sseWhileRedisDown.ms} ms and /ready ${readyWhileRedisDown.status} in ${readyWhileRedisDown.ms} ms; ` +
          `/ready 200 again ${redisRecoveryMs} ms after Redis and ${postgresRecoveryMs} ms after Postgres came back; ` +
          `the backlog held during the outage was written ${backlogWrittenMs} ms after Postgres came back (the rest ${settleMs} ms after the load stopped)`,
      );
    } finally {
      stopping = true;
      clearInterval(sampler);
      await Promise.allSettled(load);
      await Promise.allSettled([...mcpClients.map((client) => client.close()), legacy.close()]);
    }
  });
});
