import { pino, type DestinationStream, type Logger } from 'pino';

/** URL paths that carry a secret (the legacy SSE transport authenticates by a token in the path). */
const SECRET_PATH = /^\/(sse|messages)\/[^/?]+/;

/** Replaces the token in `/sse/<token>` and `/messages/<token>` paths. */
export function redactUrl(url: string | undefined): string | undefined {
  return url?.replace(SECRET_PATH, (_, kind: string) => `/${kind}/[redacted]`);
}

/**
 * Structured logs. Anything that can hold a token or a secret is redacted: authorization
 * headers, cookies, tokens in SSE paths; tool arguments and results are never logged.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-end-user-id"]', 'res.headers["set-cookie"]', '*.token', '*.password', '*.secret'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
