import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Structured JSON logs, one line per lifecycle step, with `room` and `sessionId` on every line
 * of a session (child loggers). No code path passes a token, JWT or secret to the logger; the
 * redaction below is the second line of defence, for fields named after a credential wherever
 * they sit.
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
  return pino({ level, base: { service: 'jitsi-agent-bridge' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination);
}

export type { Logger };
