import { pino, type Logger } from 'pino';

/**
 * JSON logs. Anything that can carry a secret is redacted: cookies, authorization headers,
 * tokens and the room JWT; tool arguments and results are never logged.
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
