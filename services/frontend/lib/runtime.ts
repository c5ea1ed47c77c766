import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import pg from 'pg';
import { loadConfig, type Config } from './config.ts';
import { migrate } from './history/migrations.ts';
import { createLogger } from './logger.ts';

/** What every route handler shares: configuration, the database pool, Redis and the logger. */
export interface Runtime {
  readonly config: Config;
  readonly pool: pg.Pool;
  readonly redis: Redis;
  readonly logger: Logger;
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
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 10, connectionTimeoutMillis: 5_000 });
  pool.on('error', (error) => logger.warn({ err: error.message }, 'idle database connection failed'));
  // Fail fast instead of queueing commands forever while Redis is away.
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2, enableOfflineQueue: false, lazyConnect: true });
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
  return { config, pool, redis, logger };
}
