import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';

/**
 * Every HTTP request has an id, for following it through the logs: the caller's `X-Request-Id`
 * (the console's, a proxy's, or the replica that forwarded the request here) when it is 1 to 128
 * visible ASCII characters, else a new UUID. The answer repeats it in `X-Request-Id`, and every
 * line logged for the request carries it as `requestId`: the one `request` line (not for the
 * probes and scrapes) and whatever the handlers log through `requestLogger(res)`.
 */

export const REQUEST_ID_HEADER = 'x-request-id';

const VISIBLE_ASCII = /^[\x21-\x7e]{1,128}$/;

/** The id of a request that came with this X-Request-Id header (a repeated header arrives joined by ", ": not one id). */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && VISIBLE_ASCII.test(header) ? header : randomUUID();
}

/** Paths that are polled all the time and tell nothing about a user: answered with an id, not logged. */
const UNLOGGED_PATHS = new Set(['/health', '/ready', '/metrics']);

const LOGGER = 'logger';

/** Gives each request its id and logger, and logs one line when it is answered; the path only, which holds no credential. */
export function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const requestId = requestIdOf(req.headers[REQUEST_ID_HEADER]);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const log = logger.child({ requestId });
    res.locals[LOGGER] = log;
    if (!UNLOGGED_PATHS.has(req.path)) {
      const started = performance.now();
      res.on('finish', () => {
        log.info({ method: req.method, path: req.path, status: res.statusCode, ms: Math.round(performance.now() - started) }, 'request');
      });
    }
    next();
  };
}

/** The logger of the request `res` answers, with its `requestId` (`fallback` before `requestLog` ran). */
export function requestLogger(res: Response, fallback: Logger): Logger {
  return (res.locals[LOGGER] as Logger | undefined) ?? fallback;
}
