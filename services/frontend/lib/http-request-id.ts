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
