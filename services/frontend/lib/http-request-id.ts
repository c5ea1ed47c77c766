import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * The id of one HTTP request, for following it through the log: the caller's `X-Request-Id`
 * (a proxy's or another service's) when it is 1 to 128 visible ASCII characters, else a new
 * UUID. Every line the request logs carries it as `requestId`, and the answer repeats it in
 * `X-Request-Id`. Not to be confused with the Idempotency-Key of a user action
 * (`request-id.ts`), which names one action across its retries.
 */

export const REQUEST_ID_HEADER = 'x-request-id';

const VISIBLE_ASCII = /^[\x21-\x7e]{1,128}$/;

export function httpRequestId(request: Request): string {
  const given = request.headers.get(REQUEST_ID_HEADER);
  return given !== null && VISIBLE_ASCII.test(given) ? given : randomUUID();
}

/** The response with its request's id in `X-Request-Id` (a copy when its headers are immutable). */
export function withRequestId(response: Response, requestId: string): Response {
  try {
    response.headers.set(REQUEST_ID_HEADER, requestId);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    copy.headers.set(REQUEST_ID_HEADER, requestId);
    return copy;
  }
}

/** The id of the request being handled, wherever its handler's work runs (set by `route()`). */
const current = new AsyncLocalStorage<string>();

/** Runs `work` as part of the request `requestId`: the calls it makes to our other services carry the id. */
export function asRequest<T>(requestId: string, work: () => Promise<T>): Promise<T> {
  return current.run(requestId, work);
}

/**
 * `X-Request-Id` for a call the console makes to the MCP server or the agent bridge while it
 * handles a request: they log the call under the same id, so one search finds a user action in
 * every service's log. Empty outside a request (the startup probe).
 */
export function forwardedRequestId(): Record<string, string> {
  const requestId = current.getStore();
  return requestId === undefined ? {} : { [REQUEST_ID_HEADER]: requestId };
}
