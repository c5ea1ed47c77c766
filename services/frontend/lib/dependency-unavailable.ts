import type { Runtime } from './runtime.ts';

/** A store the console needs is not answering: 503 with a sentence, details in the log. */
export class DependencyUnavailable extends Error {
  readonly status = 503;
  constructor(
    message: string,
    readonly dependency: 'redis' | 'postgres',
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'DependencyUnavailable';
  }
}

export const REDIS_UNAVAILABLE = 'The console cannot reach its session store right now; try again in a moment.';
export const POSTGRES_UNAVAILABLE = 'Your history cannot be reached right now; try again in a moment.';

/** node-postgres and socket errors that mean the database is not there (not that the query was wrong). */
const POSTGRES_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', '57P01', '57P02', '57P03']);
const POSTGRES_DOWN_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|the database system is (starting up|shutting down)/i;
/** What ioredis (with its offline queue off) and rate-limiter-flexible say when Redis is away. */
const REDIS_DOWN_MESSAGES = /enableOfflineQueue|Connection is closed|Redis connection is not ready|max retries per request|Command timed out/i;

function isPostgresDown(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (typeof code === 'string' && (POSTGRES_DOWN_CODES.has(code) || code.startsWith('08'))) || (typeof message === 'string' && POSTGRES_DOWN_MESSAGES.test(message));
}

function isRedisDown(error: unknown): boolean {
  const { message } = (error ?? {}) as { message?: unknown };
  return typeof message === 'string' && REDIS_DOWN_MESSAGES.test(message);
}

/** The failure as a 503 when it is a store being away; undefined for any other failure. */
export function asDependencyUnavailable(error: unknown, runtime: Runtime): DependencyUnavailable | undefined {
  if (isRedisDown(error)) return new DependencyUnavailable(REDIS_UNAVAILABLE, 'redis', { cause: error });
  if (isPostgresDown(error)) return new DependencyUnavailable(POSTGRES_UNAVAILABLE, 'postgres', { cause: error });
  // Whatever failed, it failed while Redis was reconnecting.
  if (runtime.redis.status !== 'ready') return new DependencyUnavailable(REDIS_UNAVAILABLE, 'redis', { cause: error });
  return undefined;
}
