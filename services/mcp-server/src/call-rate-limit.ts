import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { jsonRpcRefusal, type Guard, type GuardedRequest, type Refusal } from './http-guards.ts';

/**
 * RATE_LIMIT_PER_MINUTE, counted in tool-protocol messages rather than HTTP requests: every
 * request costs one before its body is read, and a JSON-RPC batch of n messages costs n once it
 * is parsed, so batching cannot multiply the limit. The budget is per caller, and per end user
 * for trusted callers (the console acts for many users through one token, so one user, or its
 * own anonymous smoke test, cannot use up everyone's). Per replica, in memory.
 */
export class CallRateLimit {
  private readonly limiter: RateLimiterMemory;
  private readonly perMinute: number;

  constructor(perMinute: number) {
    this.perMinute = perMinute;
    this.limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  }

  /** Charges the request one message. Runs after authentication, before the body is read. */
  public readonly admit: Guard = async (req) => {
    try {
      await this.limiter.consume(budgetKey(req), 1);
      return undefined;
    } catch (rejection) {
      return this.refusal(rejection);
    }
  };

  /** Charges the rest of a JSON-RPC batch (one message was charged on admission). */
  public readonly chargeBatch: Guard = async (req) => {
    const extra = Array.isArray(req.body) ? req.body.length - 1 : 0;
    if (extra <= 0) return undefined;
    const key = budgetKey(req);
    try {
      await this.limiter.consume(key, extra);
      return undefined;
    } catch (rejection) {
      // A refused batch runs nothing, so it costs only its admission.
      if (rejection instanceof RateLimiterRes) await this.limiter.reward(key, extra);
      return this.refusal(rejection);
    }
  };

  /** 429 with Retry-After for a spent budget; anything else the limiter throws is an error, not a refusal. */
  private refusal(rejection: unknown): Refusal {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    return jsonRpcRefusal(429, -32000, `Rate limit exceeded: at most ${this.perMinute} messages a minute; retry in ${retryAfterSeconds} s`, { 'Retry-After': String(retryAfterSeconds) });
  }
}

/**
 * Caller and end user. Callers that may not name users always act as themselves, so for them this
 * is the caller alone; a trusted caller without X-End-User-Id gets a budget of its own as well.
 */
function budgetKey(req: GuardedRequest): string {
  const auth = req.auth;
  return `${auth?.clientId ?? 'anonymous'}\n${String(auth?.extra?.['externalUserId'] ?? '')}`;
}
