import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** What a stored attempt answered, replayed for a retry with the same request id. */
export interface StoredOutcome {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export type Claim =
  | { readonly kind: 'claimed' }
  | { readonly kind: 'running' }
  | { readonly kind: 'other-call' }
  | { readonly kind: 'done'; readonly outcome: StoredOutcome };

interface Stored {
  readonly fingerprint: string;
  readonly outcome?: StoredOutcome;
}

const KEY_PREFIX = 'console:tool-call:';
/** A claim in progress lives this long: longer than any tool call (the MCP client gives up after 60 s). */
const RUNNING_TTL_SECONDS = 120;

/** Which call a request id was used for: the tool and its arguments. */
export function fingerprint(tool: string, args: unknown): string {
  return createHash('sha256').update(JSON.stringify([tool, args])).digest('base64url');
}

/**
 * Makes tool calls idempotent per user and request id (the browser sends one per user action and
 * reuses it on a retry): the first attempt claims the id in Redis; a repeat gets the stored
 * outcome without calling the tool again, or "still running" while the first attempt is.
 */
export class ToolCallClaims {
  constructor(
    private readonly redis: Redis,
    /** How long an outcome is kept for retries. */
    private readonly replaySeconds: number,
  ) {}

  async claim(userKey: string, requestId: string, callFingerprint: string): Promise<Claim> {
    const key = this.key(userKey, requestId);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const claimed = await this.redis.set(key, JSON.stringify({ fingerprint: callFingerprint } satisfies Stored), 'EX', RUNNING_TTL_SECONDS, 'NX');
      if (claimed !== null) return { kind: 'claimed' };
      const stored = await this.redis.get(key);
      if (stored === null) continue; // it expired in between: claim it now
      const { fingerprint: used, outcome } = JSON.parse(stored) as Stored;
      if (used !== callFingerprint) return { kind: 'other-call' };
      return outcome === undefined ? { kind: 'running' } : { kind: 'done', outcome };
    }
    return { kind: 'running' };
  }

  /** Keeps the outcome for retries. */
  async complete(userKey: string, requestId: string, callFingerprint: string, outcome: StoredOutcome): Promise<void> {
    await this.redis.set(this.key(userKey, requestId), JSON.stringify({ fingerprint: callFingerprint, outcome } satisfies Stored), 'EX', this.replaySeconds);
  }

  /** Forgets the claim of an attempt that certainly did not run the tool, so a retry runs it. */
  async release(userKey: string, requestId: string): Promise<void> {
    await this.redis.del(this.key(userKey, requestId));
  }

  private key(userKey: string, requestId: string): string {
    return `${KEY_PREFIX}${userKey}:${requestId}`;
  }
}
