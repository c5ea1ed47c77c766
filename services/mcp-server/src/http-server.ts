import { createServer, type RequestListener, type Server } from 'node:http';
import type { Config } from './config.ts';

/** How often Node looks for requests over their headers or request timeout (its default is 30 s). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
/** Lets the app's own 408 for a slow body come before Node's request timeout does. */
const REQUEST_TIMEOUT_MARGIN_MS = 1_000;

/**
 * The HTTP server with its timeouts, for `src/main.ts` and the tests alike:
 * - HEADERS_TIMEOUT_MS bounds receiving the request headers;
 * - Node's request timeout bounds receiving a whole request, headers and body (the app answers a
 *   slow body with 408 after BODY_TIMEOUT_MS; this is the backstop for bodies no route reads,
 *   such as the rest of a refused request's body, which Node reads and discards);
 * - KEEP_ALIVE_TIMEOUT_MS closes idle keep-alive connections.
 * None of them applies to a response, so legacy SSE streams stay open as long as they live.
 */
export function createHttpServer(app: RequestListener, config: Pick<Config, 'HEADERS_TIMEOUT_MS' | 'BODY_TIMEOUT_MS' | 'KEEP_ALIVE_TIMEOUT_MS'>): Server {
  const server = createServer(
    {
      headersTimeout: config.HEADERS_TIMEOUT_MS,
      requestTimeout: config.HEADERS_TIMEOUT_MS + config.BODY_TIMEOUT_MS + REQUEST_TIMEOUT_MARGIN_MS,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
    app,
  );
  server.keepAliveTimeout = config.KEEP_ALIVE_TIMEOUT_MS;
  return server;
}
