import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from './config.ts';
import { RequestRefused } from './request-refused.ts';

/**
 * The console's own request limits, per minute:
 * - `user`: every request of a signed-in user, so users behind one address do not share a count;
 * - `address`: every request without a session, per client address;
 * - `signInStart`: sign-in starts per client address, counted in this replica's memory, so an
 *   anonymous visitor writes nothing at all to Redis.
 * The first two count in Redis, so replicas share the count; while Redis is away each replica
 * counts in memory instead (the insurance limiter).
 */
export interface RateLimits {
  readonly user: RateLimiterAbstract;
  readonly address: RateLimiterAbstract;
  readonly signInStart: RateLimiterAbstract;
}

function shared(redis: Redis, name: string, perMinute: number): RateLimiterAbstract {
  return new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `console:ratelimit:${name}`,
    points: perMinute,
    duration: 60,
    // A flood past its limit is refused from memory, without a Redis round trip per request.
    inMemoryBlockOnConsumed: perMinute + 1,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({ points: perMinute, duration: 60 }),
  });
}

export function createRateLimits(redis: Redis, config: Config): RateLimits {
  return {
    user: shared(redis, 'user', config.RATE_LIMIT_USER_PER_MINUTE),
    address: shared(redis, 'address', config.RATE_LIMIT_ADDRESS_PER_MINUTE),
    signInStart: new RateLimiterMemory({ keyPrefix: 'sign-in-start', points: config.RATE_LIMIT_ADDRESS_PER_MINUTE, duration: 60 }),
  };
}

/** Counts one request against `key`; over the limit, a 429 that says when to come back. */
export async function consumeOrRefuse(limiter: RateLimiterAbstract, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    // A refusal is a RateLimiterRes; anything else (an Error) is a failure of the store.
    if (rejection instanceof Error || typeof (rejection as { msBeforeNext?: unknown }).msBeforeNext !== 'number') throw rejection;
    const seconds = Math.max(1, Math.ceil((rejection as { msBeforeNext: number }).msBeforeNext / 1000));
    throw new RequestRefused(429, 'Too many requests; try again in a minute.', { 'retry-after': String(seconds) });
  }
}
