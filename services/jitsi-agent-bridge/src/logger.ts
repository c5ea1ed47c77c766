import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Structured JSON logs on stdout, one line per lifecycle step, with `room` and `session` on every
 * line of a session and `requestId` on every line of an HTTP request (child loggers). No code
 * path passes a token, JWT or secret to the logger; the redaction below is the second line of
 * defence, for fields named after a credential wherever they sit.
 */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'jwt',
  'token',
  'secret',
  '*.jwt',
  '*.token',
  '*.secret',
  '*.authorization',
  '*.password',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      // The log format of every service we build; services/mcp-server/src/logger.ts and
      // services/frontend/lib/logger.ts have the same three lines and must keep them the same
      // (test/services/log-format.test.ts compares what the three write).
      base: { service: 'jitsi-agent-bridge' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination,
  );
}

export type { Logger };
