import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeArgumentNames } from '../src/audit/audit-text.ts';
import { startFakePipedream, type FakePipedream } from './fakes/fake-pipedream.ts';
import { FUZZ_LIMITS, requestShape, SECRETS } from './fuzz/request-shapes.ts';
import { answerMessages, bodyBytes, target, type SentCall } from './fuzz/wire.ts';
import { holdSseSession } from './helpers/held-sse-session.ts';
import { auditSettled, createTestDatabase, startMcpServer, TOKENS, type RunningServer } from './helpers/mcp.ts';
import { eventually, rawRequest } from './helpers/raw-http.ts';

/**
 * Thousands of generated, mostly malformed requests against the real server (real Postgres,
 * Redis and HTTP), reproducible from the seed. It fails on any 5xx, a request that gets no
 * answer in time, the server no longer answering /health, a token in the log, an error in the
 * log, or a tool call that returned a result without exactly one audit row.
 */

/** Fixed, so a failure reproduces; FUZZ_SEED=<n> explores others. */
const SEED = Number(process.env['FUZZ_SEED'] ?? 20_261_201);
const RUNS = 3_000;
/** A request with no complete answer by then counts as a hang. */
const REQUEST_TIMEOUT_MS = 5_000;

let fake: FakePipedream;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let server: RunningServer;

beforeAll(async () => {
  fake = await startFakePipedream();
  fake.setWorkflow('flaky', { status: 503 });
  fake.setAccount('user-1', 'slack', 'apn_user1');
  database = await createTestDatabase();
  server = await startMcpServer({
    fake,
    databaseUrl: database.url,
    env: {
      // High, so 429s do not hide the rest (the limit has its own case below).
      RATE_LIMIT_PER_MINUTE: '1000000',
      BODY_LIMIT_BYTES: String(FUZZ_LIMITS.bodyLimitBytes),
      ARGUMENT_MAX_BYTES: String(FUZZ_LIMITS.argumentMaxBytes),
      LOG_LEVEL: 'info',
    },
  });
});

afterAll(async () => {
  await server?.close();
  await fake?.close();
  await database?.drop();
});

describe('fuzzing the HTTP interface', () => {
  it(`survives ${RUNS} generated requests: no 5xx, no hang, no crash, no leaked token, no lost audit row`, async () => {
    const session = await holdSseSession(server.url);
    const statuses = new Map<number, number>();
    /** Markers of tool calls that returned a result, and how many results had no marker. */
    const resultMarkers: string[] = [];
    let unmarkedResults = 0;
    /** Tool calls POSTed to the held session; their answers arrive on its stream. */
    const streamCalls = new Map<string, SentCall>();
    /** The request each marker was sent in, for the failure message. */
    const sentWith = new Map<string, string>();
    const started = Date.now();

    await fc.assert(
      fc.asyncProperty(requestShape, async (shape) => {
        const logsBefore = server.logs.length;
        const calls: SentCall[] = [];
        const bytes = shape.body === undefined ? undefined : bodyBytes(shape.body, calls);
        const compressed = bytes !== undefined && shape.compression !== 'none' ? gzipSync(bytes) : bytes;
        const sent = shape.method === 'GET' || shape.method === 'HEAD' ? undefined : compressed;
        const response = await rawRequest(server.url, {
          method: shape.method,
          path: target(shape, session.sessionId),
          headers: {
            ...shape.headers,
            ...(shape.compression === 'gzip' ? { 'content-encoding': 'gzip' } : {}),
            ...(sent !== undefined ? { 'content-length': String(sent.length) } : {}),
          },
          ...(sent !== undefined ? { body: sent } : {}),
          timeoutMs: REQUEST_TIMEOUT_MS,
        });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect(response.status, response.text.slice(0, 300)).toBeLessThan(500);

        for (const call of calls) if (call.marker !== undefined) sentWith.set(call.marker, JSON.stringify({ shape, status: response.status, answer: response.text.slice(0, 300) }));
        const count = (call: SentCall) => (call.marker !== undefined ? resultMarkers.push(call.marker) : (unmarkedResults += 1));
        if (shape.method === 'POST' && shape.path.startsWith('/execute-tool') && response.status === 200) calls.filter((call) => call.id === undefined).forEach(count);
        const answered = new Map(answerMessages(response).map((message) => [String(message['id']), message]));
        for (const call of calls) if (call.id !== undefined && answered.get(call.id)?.['result'] !== undefined) count(call);
        if (shape.path.startsWith('/messages/') && response.status === 202) for (const call of calls) if (call.id !== undefined) streamCalls.set(call.id, call);

        expect((await rawRequest(server.url, { path: '/health' })).status).toBe(200);
        const newLogs = server.logs.slice(logsBefore).join('');
        for (const secret of SECRETS) expect(newLogs).not.toContain(secret);
        expect(newLogs).not.toMatch(/"level":"(error|fatal)"/);
      }),
      { seed: SEED, numRuns: RUNS, verbose: 1 },
    );

    // Calls POSTed to the held session answer on its stream.
    const streamAnswers = () => new Map(session.received.map((message) => [String(message['id']), message]));
    await eventually(() => [...streamCalls.keys()].every((id) => streamAnswers().has(id)), 15_000, 'a tool call POSTed to the SSE session got no answer on its stream');
    for (const [id, call] of streamCalls) {
      if (streamAnswers().get(id)?.['result'] === undefined) continue;
      if (call.marker !== undefined) resultMarkers.push(call.marker);
      else unmarkedResults += 1;
    }
    session.close();

    await auditSettled(server.mcp, 20_000);
    expect(server.mcp.audit.pending).toBe(0);
    const { rows } = await server.pool.query<{ argument_names: string }>('SELECT argument_names FROM mcp_tool_calls');
    const rowsByMarker = new Map<string, number>();
    for (const row of rows) {
      for (const name of decodeArgumentNames(row.argument_names)) if (/^fzm\d+$/.test(name)) rowsByMarker.set(name, (rowsByMarker.get(name) ?? 0) + 1);
    }
    const missingOrDoubled = resultMarkers.filter((marker) => rowsByMarker.get(marker) !== 1);
    expect(missingOrDoubled.map((marker) => `${marker}: ${rowsByMarker.get(marker) ?? 0} rows, sent in ${sentWith.get(marker)}`)).toEqual([]);
    expect(rows.length).toBe(resultMarkers.length + unmarkedResults);
    // Again over the whole log: calls POSTed to the SSE session log after their run has been checked.
    const logs = server.logs.join('');
    for (const secret of SECRETS) expect(logs).not.toContain(secret);
    expect(logs).not.toMatch(/"level":"(error|fatal)"/);

    console.log(
      `fuzz: ${RUNS} requests, seed ${SEED}, ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
        `tool calls with a result ${resultMarkers.length + unmarkedResults} (${resultMarkers.length} marked), audit rows ${rows.length}; ` +
        `statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`,
    );
  });

  it('never lets more tool-protocol messages through than RATE_LIMIT_PER_MINUTE, however they are batched', async () => {
    const limit = 20;
    const limited = await startMcpServer({ fake, databaseUrl: database.url, env: { RATE_LIMIT_PER_MINUTE: String(limit) } });
    let users = 0;
    try {
      const traffic = fc.array(fc.oneof(fc.integer({ min: 1, max: 30 }).map((size) => ({ batch: size })), fc.constant({ batch: 0 })), { minLength: 1, maxLength: 8 });
      await fc.assert(
        fc.asyncProperty(traffic, async (requests) => {
          // A signed-in user of its own per run: its budget starts full.
          const user = `limit-user-${(users += 1)}`;
          const headers = { authorization: `Bearer ${TOKENS.console}`, 'x-end-user-id': user, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
          const call = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow_report', arguments: {} } });
          let budget = limit;
          let accepted = 0;
          for (const { batch } of requests) {
            // batch 0: one /execute-tool request; otherwise a JSON-RPC batch of that many calls.
            const cost = Math.max(1, batch);
            const response =
              batch === 0
                ? await rawRequest(limited.url, { method: 'POST', path: '/execute-tool', headers, body: JSON.stringify({ tool: 'slow_report', args: {} }) })
                : await rawRequest(limited.url, {
                    method: 'POST',
                    path: '/mcp',
                    headers: { ...headers, 'mcp-protocol-version': '2025-03-26' },
                    body: JSON.stringify(Array.from({ length: batch }, (_, index) => call(index + 1))),
                  });
            // The model: a request that fits takes its cost; one that does not is refused and costs one.
            const fits = budget >= cost;
            budget -= fits ? cost : 1;
            if (fits) accepted += cost;
            expect(response.status).toBe(fits ? 200 : 429);
            if (!fits) {
              expect(response.headers['retry-after']).toMatch(/^\d+$/);
              expect(JSON.parse(response.text)).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
            }
          }
          const ran = fake.requestsTo('/workflows/slow-report').filter((sent) => sent.headers['x-pd-external-user-id'] === user).length;
          expect(ran).toBe(accepted);
          expect(ran).toBeLessThanOrEqual(limit);
        }),
        { seed: SEED, numRuns: 40 },
      );
    } finally {
      await limited.close();
    }
  });
});
