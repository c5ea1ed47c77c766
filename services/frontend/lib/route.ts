import { NextResponse, type NextRequest } from 'next/server';
import { ConfigError } from './config.ts';
import { getRuntime, type Runtime } from './runtime.ts';
import { SessionStore, sessionCookie, type Session } from './session.ts';
import { UpstreamError } from './upstream-error.ts';

export interface RouteContext {
  readonly runtime: Runtime;
  readonly sessions: SessionStore;
  /** Present on routes that require sign-in. */
  readonly session: Session;
}

interface RouteOptions {
  /** Answer 401 unless a valid session cookie comes with the request. @default true */
  readonly signedIn?: boolean;
}

export function jsonError(status: number, message: string, headers?: HeadersInit): NextResponse {
  return NextResponse.json({ error: message }, { status, ...(headers !== undefined ? { headers } : {}) });
}

export function sessionStore(runtime: Runtime): SessionStore {
  return new SessionStore(runtime.redis, runtime.config.SESSION_SECRET, runtime.config.SESSION_TTL_SECONDS);
}

export async function readSession(request: NextRequest, runtime: Runtime): Promise<Session | undefined> {
  const { name } = sessionCookie(runtime.config.PUBLIC_URL, runtime.config.SESSION_TTL_SECONDS);
  return sessionStore(runtime).read(request.cookies.get(name)?.value);
}

/**
 * Requests that change something must come from the console's own pages: browsers send Origin
 * on every POST, and another site's page cannot forge it (the SameSite cookie is the second line).
 */
function fromOwnOrigin(request: NextRequest, publicUrl: string): boolean {
  if (request.method === 'GET' || request.method === 'HEAD') return true;
  return request.headers.get('origin') === new URL(publicUrl).origin;
}

/**
 * Wraps a route handler: builds the runtime, enforces sign-in and same-origin writes, and turns
 * failures into short JSON errors (details go to the log, never to the browser).
 */
export function route(handler: (request: NextRequest, context: RouteContext) => Promise<Response>, options: RouteOptions = {}) {
  return async (request: NextRequest): Promise<Response> => {
    let runtime: Runtime;
    try {
      runtime = await getRuntime();
    } catch (error) {
      if (error instanceof ConfigError) console.error(`console: ${error.message}`);
      else console.error(`console: cannot start: ${(error as Error).message}`);
      return jsonError(503, 'The console is not ready; its operators have been told why in its log.');
    }
    const sessions = sessionStore(runtime);
    try {
      if (!fromOwnOrigin(request, runtime.config.PUBLIC_URL)) return jsonError(403, 'This request did not come from the console.');
      const session = options.signedIn === false ? undefined : await readSession(request, runtime);
      if (options.signedIn !== false && session === undefined) return jsonError(401, 'Sign in first.');
      return await handler(request, { runtime, sessions, session: session as Session });
    } catch (error) {
      if (error instanceof UpstreamError) {
        runtime.logger.warn({ err: error.message, cause: (error.cause as Error | undefined)?.message, path: request.nextUrl.pathname }, 'dependency failed');
        return jsonError(error.status, error.message);
      }
      runtime.logger.error({ err: (error as Error).message, path: request.nextUrl.pathname }, 'request failed');
      return jsonError(500, 'Something went wrong on our side; try again.');
    }
  };
}

/** Parses a JSON object body, or says what is wrong with it. */
export async function jsonBody(request: Request): Promise<Record<string, unknown> | undefined> {
  const body: unknown = await request.json().catch(() => undefined);
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
}
