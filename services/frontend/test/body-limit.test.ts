import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleCall, signedInCookie } from './helpers/console-client.ts';
import { startConsoleStack, type ConsoleStack } from './helpers/console-stack.ts';
import { sendLargeBody } from './helpers/send-large-body.ts';

/** Finding 2: JSON bodies are read through one bounded reader (64 KiB by default). */
const LIMIT = 64 * 1024;
const HUNDRED_MB = 100 * 1024 * 1024;

let stack: ConsoleStack;
let cookie: string;

/** The console process's resident memory, in MiB, for the figures the test prints. */
function residentMiB(): number {
  const status = readFileSync(`/proc/${stack.pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

beforeAll(async () => {
  stack = await startConsoleStack();
  cookie = await signedInCookie(stack.redisUrl, { sub: `ada-${randomBytes(3).toString('hex')}`, name: 'Ada' });
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe('a 100 MB POST from a signed-in user', () => {
  const headers = () => ({ cookie, origin: stack.url, 'content-type': 'application/json' });

  for (const chunked of [false, true]) {
    it(`is refused with 413 before most of it is sent (${chunked ? 'chunked, no Content-Length' : 'with Content-Length'}), and the server keeps answering`, async () => {
      const before = residentMiB();
      const answer = await sendLargeBody(`${stack.url}/api/tools/call`, { totalBytes: HUNDRED_MB, chunked, headers: headers() });
      console.log(`100 MB POST (${chunked ? 'chunked' : 'Content-Length'}): ${answer.status} after ${(answer.bytesSentBeforeAnswer / 1024 / 1024).toFixed(1)} MB sent; console RSS ${before} → ${residentMiB()} MiB`);
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toEqual({ error: 'The request body is larger than 64 KiB.' });
      expect(answer.bytesSentBeforeAnswer).toBeLessThan(HUNDRED_MB / 2);
      expect((await consoleCall(stack.url, '/api/health')).status).toBe(200);
      expect((await consoleCall(stack.url, '/api/tools/call', { cookie, body: { name: 'lookup_order', arguments: { order_id: 'A-1001' } } })).status).toBe(200);
    });
  }
});

describe('the bounded JSON reader', () => {
  it('reads a body just under the limit and refuses one byte over', async () => {
    const room = `desk-${randomBytes(3).toString('hex')}`;
    const envelope = JSON.stringify({ room, padding: '' }).length;
    const under = await consoleCall(stack.url, '/api/room/token', { cookie, body: { room, padding: 'x'.repeat(LIMIT - envelope) } });
    expect(under.status).toBe(200);
    const over = await consoleCall(stack.url, '/api/room/token', { cookie, body: { room, padding: 'x'.repeat(LIMIT - envelope + 1) } });
    expect(over.status).toBe(413);
    expect(await over.json()).toEqual({ error: 'The request body is larger than 64 KiB.' });
  });

  it('refuses a body that is not JSON by its content type with 415', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await consoleCall(stack.url, '/api/agent/start', { cookie, rawBody: '{"room":"abc-desk"}', contentType });
      expect(response.status).toBe(415);
      expect(await response.json()).toEqual({ error: 'Send the request body as JSON (Content-Type: application/json).' });
    }
    const none = await consoleCall(stack.url, '/api/room/token', { cookie, rawBody: '{"room":"abc-desk"}' });
    expect(none.status).toBe(415);
    // Parameters and the +json suffix are JSON too.
    expect((await consoleCall(stack.url, '/api/room/token', { cookie, rawBody: '{"room":"abc-desk"}', contentType: 'application/json; charset=utf-8' })).status).toBe(200);
  });

  it('explains invalid UTF-8, broken JSON and JSON nested too deeply, in words', async () => {
    const invalidUtf8 = Uint8Array.from([0x7b, 0x22, 0x72, 0x6f, 0x6f, 0x6d, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    const cases: Array<[string | Uint8Array<ArrayBuffer>, string]> = [
      [invalidUtf8, 'The request body is not valid UTF-8.'],
      ['{"room": "abc-desk"', 'The request body is not valid JSON.'],
      ['', 'The request body is not valid JSON.'],
      [`{"room":"abc-desk","deep":${'['.repeat(200)}${']'.repeat(200)}}`, 'The request body is nested too deeply.'],
    ];
    for (const [rawBody, error] of cases) {
      const response = await consoleCall(stack.url, '/api/room/token', { cookie, rawBody, contentType: 'application/json' });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error });
    }
  });
});
