import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * JSON logs on stdout, one object per line. Anything that can carry a secret is redacted:
 * cookies, authorization headers, tokens and the room JWT. Tool arguments and results are logged
 * in one case only: a history entry that neither Postgres nor the Redis outbox could take
 * (`historyRecord`), so it is not lost.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      // The log format of every service we build; services/mcp-server/src/logger.ts and
      // services/jitsi-agent-bridge/src/logger.ts have the same three lines and must keep them
      // the same (test/services/log-format.test.ts compares what the three write).
      base: { service: 'console' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['*.cookie', '*.authorization', '*.token', '*.jwt', '*.idToken', '*.secret', '*.password'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);
let startup: Logger | undefined;

/**
 * A logger for the moments before the runtime exists (a configuration that does not load, a
 * database not up yet): LOG_LEVEL when it names a level, else info. "silent" still lets fatal
 * lines through: a server that stops says why.
 */
export function startupLogger(): Logger {
  const level = process.env['LOG_LEVEL'];
  startup ??= createLogger(level === 'silent' ? 'fatal' : level !== undefined && LOG_LEVELS.has(level) ? level : 'info');
  return startup;
}
