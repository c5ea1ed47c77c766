import { Redis } from 'ioredis';
import { SessionStore, type SessionUser } from '../../lib/session.ts';
import { SESSION_SECRET } from './config.ts';

/**
 * A signed-in browser's session cookie, made the way the callback makes it: a session in the
 * console's Redis, signed with the console's secret.
 */
export async function signedInCookie(redisUrl: string, user: SessionUser, ttlSeconds = 600): Promise<string> {
  const redis = new Redis(redisUrl);
  try {
    const { cookieValue } = await new SessionStore(redis, SESSION_SECRET, ttlSeconds).create(user, undefined);
    return `console-session=${cookieValue}`;
  } finally {
    await redis.quit();
  }
}

export interface CallOptions {
  readonly cookie?: string;
  /** Sent as JSON with Content-Type application/json. */
  readonly body?: unknown;
  /** Sent as it is, with `contentType` (none when undefined). */
  readonly rawBody?: string | Uint8Array<ArrayBuffer>;
  readonly contentType?: string;
  /** The Origin of a write: the console's own unless given; null sends none. */
  readonly origin?: string | null;
  readonly method?: string;
  /** The client address a proxy in front of the console would report (X-Forwarded-For). */
  readonly address?: string;
  readonly headers?: Record<string, string>;
  /** Gives up (and rejects) after this long: a console that hangs fails the test. @default 10000 */
  readonly timeoutMs?: number;
}

/** One request to the console under test, as a browser (or a proxy in front of it) would send it. */
export function consoleCall(consoleUrl: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookie !== undefined) headers['cookie'] = options.cookie;
  if (options.address !== undefined) headers['x-forwarded-for'] = options.address;
  const hasBody = options.body !== undefined || options.rawBody !== undefined;
  const method = options.method ?? (hasBody ? 'POST' : 'GET');
  if (method !== 'GET' && method !== 'HEAD' && options.origin !== null) headers['origin'] = options.origin ?? consoleUrl;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.rawBody !== undefined && options.contentType !== undefined) headers['content-type'] = options.contentType;
  const body = options.body !== undefined ? JSON.stringify(options.body) : options.rawBody;
  return fetch(`${consoleUrl}${path}`, {
    method,
    headers,
    redirect: 'manual',
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    ...(body !== undefined ? { body } : {}),
  });
}
