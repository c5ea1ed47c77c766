import type { NextFunction, Request, Response } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { jsonRpcError } from './http-guards.ts';

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
  public admit() {
    return async (req: Request, res: Response, next: NextFunction) => {
      try {
        await this.limiter.consume(budgetKey(req), 1);
        next();
      } catch (rejection) {
        this.refuse(rejection, res, next);
      }
    };
  }

  /** Charges the rest of a JSON-RPC batch (one message was charged on admission). */
  public chargeBatch() {
    return async (req: Request, res: Response, next: NextFunction) => {
      const extra = Array.isArray(req.body) ? req.body.length - 1 : 0;
      if (extra <= 0) return next();
      const key = budgetKey(req);
      try {
        await this.limiter.consume(key, extra);
        next();
      } catch (rejection) {
        // A refused batch runs nothing, so it costs only its admission.
        if (rejection instanceof RateLimiterRes) await this.limiter.reward(key, extra);
        this.refuse(rejection, res, next);
      }
    };
  }

  private refuse(rejection: unknown, res: Response, next: NextFunction): void {
    if (!(rejection instanceof RateLimiterRes)) return next(rejection);
    const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    res.set('Retry-After', String(retryAfterSeconds));
    jsonRpcError(res, 429, -32000, `Rate limit exceeded: at most ${this.perMinute} messages a minute; retry in ${retryAfterSeconds} s`);
  }
}

/**
 * Caller and end user. Callers that may not name users always act as themselves, so for them this
 * is the caller alone; a trusted caller without X-End-User-Id gets a budget of its own as well.
 */
function budgetKey(req: Request): string {
  const auth = req.auth;
  return `${auth?.clientId ?? 'anonymous'}\n${String(auth?.extra?.['externalUserId'] ?? '')}`;
}
