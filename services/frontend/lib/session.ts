import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';

/** The signed-in user, as the console knows them (from the OpenID Connect ID token). */
export interface SessionUser {
  /** The issuer's subject: stable, and what history and Connect accounts are keyed by. */
  readonly sub: string;
  readonly name: string;
  readonly email?: string;
}

export interface Session {
  readonly id: string;
  readonly user: SessionUser;
  /** Kept for RP-initiated logout at the issuer (id_token_hint); never sent to the browser. */
  readonly idToken?: string;
  readonly createdAt: number;
}

const KEY_PREFIX = 'console:session:';

/**
 * Server-side sessions in Redis behind a signed cookie. The cookie holds only a random id and its
 * HMAC: nothing about the user, and nothing that works once the session is deleted.
 */
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly secret: string,
    private readonly ttlSeconds: number,
  ) {}

  async create(user: SessionUser, idToken: string | undefined): Promise<{ session: Session; cookieValue: string }> {
    const id = randomBytes(32).toString('base64url');
    const session: Session = { id, user, createdAt: Date.now(), ...(idToken !== undefined ? { idToken } : {}) };
    await this.redis.set(KEY_PREFIX + id, JSON.stringify(session), 'EX', this.ttlSeconds);
    return { session, cookieValue: `${id}.${this.sign(id)}` };
  }

  /** The session a cookie value names, when the signature holds and Redis still has it. */
  async read(cookieValue: string | undefined): Promise<Session | undefined> {
    const id = this.verify(cookieValue);
    if (id === undefined) return undefined;
    const stored = await this.redis.get(KEY_PREFIX + id);
    return stored === null ? undefined : (JSON.parse(stored) as Session);
  }

  /** Revokes a session: its cookie stops working at once, on every replica. */
  async destroy(id: string): Promise<void> {
    await this.redis.del(KEY_PREFIX + id);
  }

  private sign(id: string): string {
    return createHmac('sha256', this.secret).update(id).digest('base64url');
  }

  private verify(cookieValue: string | undefined): string | undefined {
    if (cookieValue === undefined) return undefined;
    const [id, signature, ...rest] = cookieValue.split('.');
    if (id === undefined || signature === undefined || rest.length > 0 || !/^[\w-]{43}$/.test(id)) return undefined;
    const expected = Buffer.from(this.sign(id));
    const presented = Buffer.from(signature);
    return expected.length === presented.length && timingSafeEqual(expected, presented) ? id : undefined;
  }
}

/**
 * The session cookie's name and attributes. Over HTTPS it is a `__Host-` cookie (Secure, no
 * Domain, Path=/), which subdomains cannot set or overwrite; plain HTTP is for local use only.
 */
export function sessionCookie(publicUrl: string, ttlSeconds: number) {
  const secure = new URL(publicUrl).protocol === 'https:';
  return {
    name: secure ? '__Host-console-session' : 'console-session',
    options: { httpOnly: true, secure, sameSite: 'lax' as const, path: '/', maxAge: ttlSeconds },
  };
}
