import { pino, type Logger } from 'pino';

/**
 * JSON logs. Anything that can carry a secret is redacted: cookies, authorization headers,
 * tokens and the room JWT. Tool arguments and results are logged in one case only: a history
 * entry that neither Postgres nor the Redis outbox could take (`historyRecord`), so it is not lost.
 */
export function createLogger(level: string): Logger {
  return pino({
    name: 'console',
    level,
    redact: {
      paths: ['*.cookie', '*.authorization', '*.token', '*.jwt', '*.idToken', '*.secret', '*.password'],
      censor: '[redacted]',
    },
  });
}
