import { Writable } from 'node:stream';
import type { DestinationStream, Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger as consoleLogger } from '../../services/frontend/lib/logger.ts';
import { createLogger as bridgeLogger } from '../../services/jitsi-agent-bridge/src/logger.ts';
import { createLogger as mcpLogger } from '../../services/mcp-server/src/logger.ts';
import { logLines } from '../helpers/log-lines.ts';

/**
 * The three services we build in TypeScript each have their own pino options (no shared package:
 * each image builds from its own directory); these tests hold them to one log format.
 */

const SERVICES: ReadonlyArray<readonly [string, (level: string, destination: DestinationStream) => Logger]> = [
  ['mcp-server', mcpLogger],
  ['jitsi-agent-bridge', bridgeLogger],
  ['console', consoleLogger],
];

/** What `write` logs through the service's logger, as text. */
function written(create: (level: string, destination: DestinationStream) => Logger, write: (logger: Logger) => void): string {
  let text = '';
  const destination = new Writable({
    write: (chunk, _encoding, done) => {
      text += String(chunk);
      done();
    },
  });
  write(create('debug', destination as unknown as DestinationStream));
  return text;
}

describe('the log format of every service we build', () => {
  it('is one JSON object per line with the same fields: time (ISO 8601), level (its name), service, msg', () => {
    const keys = new Set<string>();
    for (const [service, create] of SERVICES) {
      const before = Date.now();
      const text = written(create, (logger) => logger.child({ requestId: 'request-1' }).child({ room: 'desk', session: 'session-1' }).warn({ status: 503 }, 'agent at capacity'));
      expect(text.endsWith('\n') && text.indexOf('\n') === text.length - 1, `${service} writes one line`).toBe(true);
      const [line] = logLines(text, service);
      expect(line).toEqual({ time: expect.any(String), level: 'warn', service, requestId: 'request-1', room: 'desk', session: 'session-1', status: 503, msg: 'agent at capacity' });
      expect(Date.parse(line!.time)).toBeGreaterThanOrEqual(before - 1);
      keys.add(Object.keys(line!).sort().join(','));
    }
    expect([...keys]).toHaveLength(1);
  });

  it('names every level the same way in every service', () => {
    for (const [service, create] of SERVICES) {
      const text = written(create, (logger) => {
        for (const level of ['debug', 'info', 'warn', 'error', 'fatal'] as const) logger[level](level);
      });
      expect(logLines(text, service).map((line) => line.level), service).toEqual(['debug', 'info', 'warn', 'error', 'fatal']);
    }
  });

  it('redacts fields named after a credential in every service', () => {
    for (const [service, create] of SERVICES) {
      const text = written(create, (logger) => logger.info({ upstream: { token: 'canary-token-3f9a', password: 'canary-password-3f9a', secret: 'canary-secret-3f9a' } }, 'called'));
      expect(text, service).not.toMatch(/canary-/);
      expect(logLines(text, service)[0]).toMatchObject({ upstream: { token: '[redacted]', password: '[redacted]', secret: '[redacted]' } });
    }
  });
});
