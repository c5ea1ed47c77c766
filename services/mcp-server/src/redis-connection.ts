import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** How long a command may wait for Redis's answer before it fails (the SSE routing then answers 503). */
const COMMAND_TIMEOUT_MS = 1_000;
const CONNECT_TIMEOUT_MS = 2_000;
/** Longest pause between reconnection attempts; they never stop. */
const MAX_RECONNECT_DELAY_MS = 1_000;

/**
 * A Redis connection for `src/main.ts` and the tests alike, set up to fail fast and recover by
 * itself: while it is not connected, commands fail at once instead of queueing without bound
 * (ioredis's offline queue is off); a command in flight when the connection drops fails rather
 * than being sent again after the reconnect (a PUBLISH sent late could run a tool call the
 * client was already told had failed); a command with no answer within COMMAND_TIMEOUT_MS fails;
 * and it reconnects forever, resubscribing its channels when it is back. Errors are logged once
 * per outage, not once per attempt.
 */
export function connectRedis(url: string, role: string, logger: Logger): Redis {
  const connection = new Redis(url, {
    // Resolve IPv4 and IPv6 (Railway's private network is IPv6-only in older environments).
    family: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: true,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
  });
  let healthy = true;
  connection.on('error', (error: Error) => {
    if (!healthy) return;
    healthy = false;
    logger.warn({ redis: role, err: error.message }, 'redis unreachable; reconnecting');
  });
  connection.on('ready', () => {
    if (healthy) return;
    healthy = true;
    logger.info({ redis: role }, 'redis is back');
  });
  return connection;
}

/** Resolves once the connection is ready, or rejects after `timeoutMs`. */
export async function redisReady(connection: Redis, timeoutMs: number): Promise<void> {
  if (connection.status === 'ready') return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      new Promise((resolve) => connection.once('ready', resolve)),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`redis not ready within ${timeoutMs} ms`)), timeoutMs))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
