import { request, type IncomingMessage } from 'node:http';
import { TOKENS } from './mcp.ts';

/**
 * A legacy SSE session held open with a bare HTTP request (as the TEN agent holds one), so
 * POSTs to `/messages/…?sessionId=` reach a live session; it collects what the stream carries.
 */

export interface HeldSession {
  readonly sessionId: string;
  /** Every JSON-RPC message the stream carried. */
  readonly received: Array<Record<string, unknown>>;
  /** Resolves once the stream has ended, whichever side ended it. */
  readonly ended: Promise<void>;
  close(): void;
}

export function holdSseSession(url: string): Promise<HeldSession> {
  return new Promise((resolve, reject) => {
    const received: Array<Record<string, unknown>> = [];
    let buffered = '';
    let sessionId: string | undefined;
    let markEnded = () => {};
    const ended = new Promise<void>((resolve) => (markEnded = resolve));
    const req = request(new URL(`/sse/${TOKENS.tenAgent}`, url), (res: IncomingMessage) => {
      if (res.statusCode !== 200) return reject(new Error(`GET /sse answered ${res.statusCode}`));
      res.on('close', () => markEnded());
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        const events = buffered.split('\n\n');
        buffered = events.pop() ?? '';
        for (const event of events) {
          const data = event
            .split('\n')
            .filter((line) => line.startsWith('data: '))
            .map((line) => line.slice(6))
            .join('\n');
          if (event.startsWith('event: endpoint')) {
            sessionId = new URL(data, url).searchParams.get('sessionId') ?? undefined;
            if (sessionId !== undefined) resolve({ sessionId, received, ended, close: () => req.destroy() });
          } else if (data !== '') {
            received.push(JSON.parse(data) as Record<string, unknown>);
          }
        }
      });
    });
    req.on('error', (error) => (sessionId === undefined ? reject(error) : undefined));
    req.on('close', () => markEnded());
    req.end();
  });
}

