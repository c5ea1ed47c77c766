import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import pg from 'pg';
import { loadConfig, type Config } from './config.ts';
import { migrate } from './history/migrations.ts';
import { HistoryOutbox, startDraining } from './history/outbox.ts';
import { HistoryRecorder } from './history/recorder.ts';
import { HistoryStore } from './history/store.ts';
import { createLogger } from './logger.ts';
import { createRateLimits, type RateLimits } from './rate-limits.ts';

/** What every route handler shares: configuration, the database pool, Redis and the logger. */
export interface Runtime {
  readonly config: Config;
  readonly pool: pg.Pool;
  readonly redis: Redis;
  readonly logger: Logger;
  readonly limits: RateLimits;
  readonly history: HistoryStore;
  /** Writes history so that a failure never fails what it records (see HistoryRecorder). */
  readonly recorder: HistoryRecorder;
}

// Next.js may load this module more than once (one copy per route bundle), so the one runtime of
// the process lives on globalThis.
const holder = globalThis as typeof globalThis & { __consoleRuntime?: Promise<Runtime> };

/**
 * The process's runtime, created on first use: configuration validated, history migrations
 * applied. A failure is not cached, so a database that comes up later is picked up.
 */
export function getRuntime(): Promise<Runtime> {
  holder.__consoleRuntime ??= createRuntime().catch((error: unknown) => {
    holder.__consoleRuntime = undefined;
    throw error;
  });
  return holder.__consoleRuntime;
}

async function createRuntime(): Promise<Runtime> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  // Short timeouts: a database that is away answers 503 in seconds instead of holding requests.
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 10, connectionTimeoutMillis: 2_000, query_timeout: 5_000 });
  pool.on('error', (error) => logger.warn({ err: error.message }, 'idle database connection failed'));
  // Fail fast instead of queueing commands while Redis is away, or waiting on one that hangs.
  // Reconnect at least every half second, so a restarted Redis is back in use within one.
  const redis = new Redis(config.REDIS_URL, {
    maxRetriesPerRequest: 2,
    enableOfflineQueue: false,
    commandTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 50, 500),
    lazyConnect: true,
  });
  redis.on('error', (error) => logger.warn({ err: error.message }, 'redis connection failed'));
  try {
    await redis.connect();
    const applied = await migrate(pool);
    logger.info({ applied }, 'history schema up to date');
  } catch (error) {
    redis.disconnect();
    await pool.end().catch(() => undefined);
    throw error;
  }
  const history = new HistoryStore(pool);
  const outbox = new HistoryOutbox(redis);
  startDraining(outbox, history, logger);
  return { config, pool, redis, logger, limits: createRateLimits(redis, config), history, recorder: new HistoryRecorder(history, outbox, logger) };
}
