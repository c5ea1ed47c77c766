import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { McpApp } from './app.ts';
import type { LegacySse } from './legacy-sse.ts';

export interface ShutdownLimits {
  /** How long the SSE streams this replica holds may go on (SSE_DRAIN_TIMEOUT_SECONDS); 0 closes them at once. */
  readonly sseDrainMs: number;
  /** How long running tool calls may take once the streams are done (SHUTDOWN_TIMEOUT_MS). */
  readonly toolDrainMs: number;
  /** How often the SSE wait logs how many streams are left. @default 5000 */
  readonly progressIntervalMs?: number;
}

export interface ShutdownOutcome {
  /** SSE streams still open when their wait ended, and closed by the server. */
  readonly sseClosed: number;
  /** No tool call was still running when the tool drain ended. */
  readonly drained: boolean;
  /** Audit records that could not be written to Postgres and went to the log instead. */
  readonly auditLeft: number;
  /** 0 when everything drained: no stream had to be cut at its limit, no call and no audit record was left. */
  readonly exitCode: 0 | 1;
}

const PROGRESS_INTERVAL_MS = 5_000;

/**
 * Drains the server, for SIGTERM (`src/main.ts`) and the tests alike. A rolling update must not
 * cut the TEN agent's calls: each holds one legacy SSE stream on this replica for the whole
 * conversation, so:
 * 1. /ready turns 503 and new SSE streams are refused (the client reconnects to another replica);
 * 2. the listener stays open and everything else is served while the streams this replica holds
 *    end on their own, or until `sseDrainMs` passes: their messages arrive here directly (a
 *    one-replica deployment, or before the endpoints update) or through Redis from the others;
 * 3. the streams still open are closed, running tool calls get `toolDrainMs`, the audit log is
 *    flushed;
 * 4. only then the listener and every connection are closed.
 * Logs how many streams are left every few seconds, and the outcome (never a session or token).
 */
export async function shutDown(mcp: McpApp, server: Server, limits: ShutdownLimits, logger: Logger): Promise<ShutdownOutcome> {
  mcp.startShutdown();
  // Idle kept-alive connections would bring new requests here; their clients open new ones.
  server.closeIdleConnections();

  const sseClosed = await waitForSseStreams(mcp.legacySse, limits, logger);

  logger.info({ inFlight: mcp.tools.inFlight }, 'shutting down: draining tool calls');
  const { drained, auditLeft } = await mcp.drain(limits.toolDrainMs);

  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  // With no limit, closing the streams at once is what was asked for, not a drain cut short.
  const sseDrained = sseClosed === 0 || limits.sseDrainMs <= 0;
  return { sseClosed, drained, auditLeft, exitCode: sseDrained && drained && auditLeft === 0 ? 0 : 1 };
}

/** Waits until no SSE stream is left or the limit passes; returns how many are still open. */
async function waitForSseStreams(sse: LegacySse, limits: ShutdownLimits, logger: Logger): Promise<number> {
  const startedAt = Date.now();
  const deadline = startedAt + limits.sseDrainMs;
  const interval = limits.progressIntervalMs ?? PROGRESS_INTERVAL_MS;
  if (sse.size === 0) {
    logger.info({ sseSessions: 0 }, 'draining: no sse stream to wait for');
    return 0;
  }
  if (limits.sseDrainMs <= 0) {
    logger.info({ sseSessions: sse.size }, 'draining: closing the sse streams at once (SSE_DRAIN_TIMEOUT_SECONDS is 0)');
    return sse.size;
  }
  for (let left = deadline - Date.now(); sse.size > 0 && left > 0; left = deadline - Date.now()) {
    logger.info({ sseSessions: sse.size, secondsLeft: Math.ceil(left / 1000) }, 'draining: waiting for the sse streams to end');
    await sse.waitUntilEmpty(Math.min(interval, left));
  }
  const waitedSeconds = Math.round((Date.now() - startedAt) / 100) / 10;
  if (sse.size === 0) {
    logger.info({ sseSessions: 0, waitedSeconds }, 'draining: every sse stream ended');
  } else {
    logger.warn({ sseSessions: sse.size, waitedSeconds }, 'draining: SSE_DRAIN_TIMEOUT_SECONDS passed; closing the sse streams still open');
  }
  return sse.size;
}
