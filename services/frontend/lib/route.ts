import { NextResponse, type NextRequest } from 'next/server';
import { clientAddress } from './client-address.ts';
import { ConfigError } from './config.ts';
import { asDependencyUnavailable } from './dependency-unavailable.ts';
import { endUserId } from './end-user-id.ts';
import { asRequest, httpRequestId, withRequestId } from './http-request-id.ts';
import { startupLogger } from './logger.ts';
import { consoleMetrics } from './metrics.ts';
import { consumeOrRefuse } from './rate-limits.ts';
import { readJsonObject } from './request-body.ts';
import { RequestRefused } from './request-refused.ts';
import { getRuntime, type Runtime } from './runtime.ts';
import { SessionStore, sessionCookie, type Session } from './session.ts';
import { UpstreamError } from './upstream-error.ts';

export interface RouteContext {
  /** The process's runtime, with a logger whose every line carries this request's `requestId`. */
  readonly runtime: Runtime;
  readonly sessions: SessionStore;
  /** Present on routes that require sign-in. */
  readonly session: Session;
}

interface RouteOptions {
  /** Answer 401 unless a valid session cookie comes with the request. @default true */
  readonly signedIn?: boolean;
  /**
   * Count this route's requests as sign-in starts: per client address in this replica's memory
   * instead of Redis, so an anonymous visitor writes nothing there. @default false
   */
  readonly signInStart?: boolean;
  /**
   * The route's path pattern for the metrics. @default the request's path, which is the
   * pattern while every API route is a static path; a route with dynamic segments must say.
   */
  readonly pattern?: string;
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

/** The request's JSON object body, read within the configured size limit (see readJsonObject). */
export function jsonBody(request: Request, runtime: Runtime): Promise<Record<string, unknown>> {
  return readJsonObject(request, runtime.config.BODY_LIMIT_BYTES);
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
 * Counts the request: a signed-in user's against that user (people behind one address do not
 * share a count), anything else against the client address.
 */
async function countRequest(request: NextRequest, runtime: Runtime, session: Session | undefined, options: RouteOptions): Promise<void> {
  const { limits, config } = runtime;
  if (session !== undefined) return consumeOrRefuse(limits.user, endUserId(session.user.sub));
  const address = clientAddress(request.headers.get('x-forwarded-for'), config.TRUSTED_PROXY_HOPS);
  return consumeOrRefuse(options.signInStart === true ? limits.signInStart : limits.address, address);
}

/**
 * Wraps a route handler: builds the runtime, enforces same-origin writes, rate limits and sign-in,
 * and turns failures into short JSON errors (details go to the log, never to the browser). Every
 * line logged while handling the request carries its `requestId`, which the answer repeats in
 * X-Request-Id (see http-request-id.ts).
 */
export function route(handler: (request: NextRequest, context: RouteContext) => Promise<Response>, options: RouteOptions = {}) {
  return async (request: NextRequest): Promise<Response> => {
    const started = performance.now();
    const requestId = httpRequestId(request);
    const response = withRequestId(await asRequest(requestId, () => handle(request, requestId)), requestId);
    const labels = { route: options.pattern ?? request.nextUrl.pathname, method: request.method };
    const metrics = consoleMetrics();
    metrics.httpRequests.inc({ ...labels, status: String(response.status) });
    metrics.httpDuration.observe(labels, (performance.now() - started) / 1000);
    return response;
  };

  async function handle(request: NextRequest, requestId: string): Promise<Response> {
    let shared: Runtime;
    try {
      shared = await getRuntime();
    } catch (error) {
      const logger = startupLogger().child({ requestId });
      if (error instanceof ConfigError) logger.error(error.message);
      else logger.error({ err: (error as Error).message }, 'cannot start');
      return jsonError(503, 'The console is not ready; its operators have been told why in its log.');
    }
    const runtime: Runtime = { ...shared, logger: shared.logger.child({ requestId }) };
    const sessions = sessionStore(runtime);
    const path = request.nextUrl.pathname;
    try {
      if (!fromOwnOrigin(request, runtime.config.PUBLIC_URL)) return jsonError(403, 'This request did not come from the console.');
      const session = options.signedIn === false ? undefined : await readSession(request, runtime);
      await countRequest(request, runtime, session, options);
      if (options.signedIn !== false && session === undefined) return jsonError(401, 'Sign in first.');
      return await handler(request, { runtime, sessions, session: session as Session });
    } catch (error) {
      if (error instanceof RequestRefused) return jsonError(error.status, error.message, error.headers);
      if (error instanceof UpstreamError) {
        runtime.logger.warn({ err: error.message, cause: (error.cause as Error | undefined)?.message, path }, 'dependency failed');
        return jsonError(error.status, error.message, error.headers);
      }
      const unavailable = asDependencyUnavailable(error, runtime);
      if (unavailable !== undefined) {
        runtime.logger.warn({ err: (error as Error).message, dependency: unavailable.dependency, path }, 'dependency unavailable');
        return jsonError(unavailable.status, unavailable.message, { 'retry-after': '5' });
      }
      runtime.logger.error({ err: (error as Error).message, path }, 'request failed');
      return jsonError(500, 'Something went wrong on our side; try again.');
    }
  }
}
