import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakePipedream, type FakePipedream } from './fakes/fake-pipedream.ts';
import { holdSseSession } from './helpers/held-sse-session.ts';
import { createTestDatabase, startMcpServer, TOKENS, type RunningServer } from './helpers/mcp.ts';

/**
 * The SSE part of the drain, in this process (test/sse-drain-process.test.ts runs it through
 * SIGTERM in real processes): what SSE_DRAIN_TIMEOUT_SECONDS=0 and a limit that passes do to the
 * streams this replica holds.
 */

let fake: FakePipedream;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
const running: RunningServer[] = [];

/** Rejects after `ms`, so a drain that waits when it should not fails the test instead of hanging it. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms))),
  ]);
}

async function start(env: Record<string, string>): Promise<RunningServer> {
  const server = await startMcpServer({ fake, databaseUrl: database.url, channelPrefix: `mcp-drain-test:${randomBytes(4).toString('hex')}:`, env });
  running.push(server);
  return server;
}

/** The drain's log lines, parsed. */
function drainLines(server: RunningServer): Array<Record<string, unknown>> {
  return server.logs
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"msg":"draining'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeAll(async () => {
  fake = await startFakePipedream();
  database = await createTestDatabase();
});

afterEach(async () => {
  // A test that failed half-way leaves its server open; close it without waiting for streams.
  await Promise.allSettled(running.splice(0).map((server) => (server.httpServer.listening ? server.close(1_000, { sseDrainMs: 0 }) : undefined)));
});

afterAll(async () => {
  await fake?.close();
  await database?.drop();
});

describe('draining the legacy SSE streams', () => {
  it('with SSE_DRAIN_TIMEOUT_SECONDS=0, closes the streams at once, as before, and counts that as drained', async () => {
    const server = await start({ SSE_DRAIN_TIMEOUT_SECONDS: '0', SHUTDOWN_TIMEOUT_MS: '2000' });
    const session = await holdSseSession(server.url);
    expect(server.mcp.legacySse.size).toBe(1);

    // The client never closes its stream: only the server closing it lets this end.
    const outcome = await within(15_000, 'the shutdown', server.close(2_000));
    expect(outcome).toEqual({ sseClosed: 1, drained: true, auditLeft: 0, exitCode: 0 });
    await within(5_000, 'the stream ending', session.ended);
    expect(server.mcp.legacySse.size).toBe(0);
    expect(server.httpServer.listening).toBe(false);
    const lines = drainLines(server);
    expect(lines.map((line) => line['msg'])).toEqual(['draining: closing the sse streams at once (SSE_DRAIN_TIMEOUT_SECONDS is 0)']);
    expect(lines[0]).toMatchObject({ sseSessions: 1 });
  });

  it('with nothing open, does not wait at all whatever the limit', async () => {
    const server = await start({ SSE_DRAIN_TIMEOUT_SECONDS: '3600' });
    const outcome = await within(15_000, 'the shutdown', server.close(2_000));
    expect(outcome).toEqual({ sseClosed: 0, drained: true, auditLeft: 0, exitCode: 0 });
    expect(drainLines(server).map((line) => line['msg'])).toEqual(['draining: no sse stream to wait for']);
  });

  it('keeps a stream open while its limit runs, logging what is left, then closes it and reports the drain as cut', async () => {
    const server = await start({ SSE_DRAIN_TIMEOUT_SECONDS: '1.5', SHUTDOWN_TIMEOUT_MS: '2000' });
    const session = await holdSseSession(server.url);
    let streamEnded = false;
    void session.ended.then(() => (streamEnded = true));

    const closing = server.close(2_000, { progressIntervalMs: 100 });
    const outcome = await within(15_000, 'the shutdown', closing);
    expect(outcome).toEqual({ sseClosed: 1, drained: true, auditLeft: 0, exitCode: 1 });
    await within(5_000, 'the stream ending', session.ended);
    expect(streamEnded).toBe(true);

    const lines = drainLines(server);
    const waiting = lines.filter((line) => line['msg'] === 'draining: waiting for the sse streams to end');
    // Several progress lines: it waited, looking again every interval, with the stream still there.
    expect(waiting.length).toBeGreaterThanOrEqual(2);
    for (const line of waiting) expect(line).toMatchObject({ sseSessions: 1 });
    expect(lines.at(-1)).toMatchObject({ msg: 'draining: SSE_DRAIN_TIMEOUT_SECONDS passed; closing the sse streams still open', sseSessions: 1, level: 'warn' });
    // Neither the session (half of what a message needs) nor, anywhere, the token.
    expect(JSON.stringify(lines)).not.toContain(session.sessionId);
    expect(server.logs.join('')).not.toContain(TOKENS.tenAgent);
  });
});
