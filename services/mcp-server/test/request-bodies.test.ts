import { gzipSync } from 'node:zlib';
import { Client, SSEClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakePipedream, type FakePipedream } from './fakes/fake-pipedream.ts';
import { createTestDatabase, startMcpServer, TOKENS, type RunningServer } from './helpers/mcp.ts';
import { eventually, openSocket, rawRequest, readUntilClosed } from './helpers/raw-http.ts';

/**
 * Request bodies are read only after Host, Origin, the token and the rate limit have passed;
 * body problems get the 4xx they are due; slow bodies and headers are cut off; and none of the
 * timeouts cuts a legacy SSE stream.
 */

let fake: FakePipedream;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
/** Short timeouts, so the tests can wait them out: body 500 ms, headers 500 ms, keep-alive 500 ms. */
let server: RunningServer;

const AUTH = { authorization: `Bearer ${TOKENS.console}` };
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const TOOLS_LIST = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });

function post(headers: Record<string, string>, body: Buffer | string) {
  return rawRequest(server.url, { method: 'POST', path: '/mcp', headers: { ...JSON_HEADERS, 'content-length': String(Buffer.byteLength(body)), ...headers }, body });
}

function logged(): Array<Record<string, unknown>> {
  return server.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeAll(async () => {
  fake = await startFakePipedream();
  database = await createTestDatabase();
  server = await startMcpServer({
    fake,
    databaseUrl: database.url,
    env: { BODY_LIMIT_BYTES: '4096', BODY_TIMEOUT_MS: '500', HEADERS_TIMEOUT_MS: '500', KEEP_ALIVE_TIMEOUT_MS: '500' },
  });
});

afterAll(async () => {
  await server?.close();
  await fake?.close();
  await database?.drop();
});

describe('what is checked before the body is read', () => {
  it('answers 401 to a request without a valid token, whatever its body', async () => {
    expect((await post({ 'content-encoding': 'gzip' }, 'not gzip at all')).status).toBe(401);
    expect((await post({ 'content-type': 'application/json; charset=latin1' }, TOOLS_LIST)).status).toBe(401);
    expect((await post({}, 'x'.repeat(10_000))).status).toBe(401);
  });
});

describe('bodies that cannot be read', () => {
  it('answers 400 when the body does not decompress as its Content-Encoding says', async () => {
    const response = await post({ ...AUTH, 'content-encoding': 'gzip' }, 'not gzip at all');
    expect(response.status).toBe(400);
    expect(JSON.parse(response.text)).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'The request body could not be decompressed as its Content-Encoding says' }, id: null });
  });

  it('answers 415 for an unsupported Content-Encoding or charset', async () => {
    for (const encoding of ['compress', 'gzip, br', 'x-unknown']) {
      const response = await post({ ...AUTH, 'content-encoding': encoding }, TOOLS_LIST);
      expect(response.status).toBe(415);
      expect(JSON.parse(response.text).error.message).toBe('Unsupported Content-Encoding: send the body uncompressed, or compressed with gzip, deflate or br');
    }
    const latin1 = await post({ ...AUTH, 'content-type': 'application/json; charset=latin1' }, TOOLS_LIST);
    expect(latin1.status).toBe(415);
    expect(JSON.parse(latin1.text).error.message).toBe('Unsupported charset: JSON bodies must be UTF-8');
  });

  it('reads a gzip body, and answers 413 when it inflates beyond the limit', async () => {
    const ok = await post({ ...AUTH, 'content-encoding': 'gzip' }, gzipSync(TOOLS_LIST));
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('"name":"lookup_order"');
    const bomb = await post({ ...AUTH, 'content-encoding': 'gzip' }, gzipSync(JSON.stringify({ padding: ' '.repeat(100_000) })));
    expect(bomb.status).toBe(413);
  });

  it('logs a client that goes away mid-body as a client abort, not as a server error', async () => {
    const socket = await openSocket(server.url);
    socket.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKENS.console}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    await eventually(() => logged().some((line) => line['msg'] === 'client closed the connection before sending the whole body'), 3_000, 'no client-abort line in the log');
    const abort = logged().find((line) => line['msg'] === 'client closed the connection before sending the whole body');
    expect(abort?.['level']).toBe('info');
    expect(logged().filter((line) => line['level'] === 'error' || (line['res'] as { statusCode?: number } | undefined)?.statusCode === 500)).toEqual([]);
  });
});

describe('timeouts', () => {
  it('answers 408 and closes the connection when an authenticated body does not arrive in time', async () => {
    const socket = await openSocket(server.url);
    socket.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKENS.console}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":`);
    const { text, closed } = await readUntilClosed(socket, 5_000);
    expect(closed).toBe(true);
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(text).toContain('Request body not received within 500 ms');
  });

  it('answers 401 at once to an unauthenticated slow body, and closes its connection within the request timeout', async () => {
    const socket = await openSocket(server.url);
    socket.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"jsonrpc":`);
    const { text, closed } = await readUntilClosed(socket, 5_000);
    expect(text).toMatch(/^HTTP\/1\.1 401 /);
    expect(closed).toBe(true);
  });

  it('closes a connection whose headers do not arrive in time', async () => {
    const socket = await openSocket(server.url);
    socket.write('POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const { text, closed } = await readUntilClosed(socket, 5_000);
    expect(closed).toBe(true);
    expect(text).toMatch(/^(HTTP\/1\.1 408 |$)/);
  });

  it('answers a tool call that takes longer than the request timeouts, which bound only receiving the request', async () => {
    fake.setWorkflow('flaky', { delayMs: 3_000, body: { late: 'but fine' } });
    try {
      const body = JSON.stringify({ tool: 'flaky_service', args: { sku: 'slow' } });
      const response = await rawRequest(server.url, {
        method: 'POST',
        path: '/execute-tool',
        headers: { ...AUTH, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        body,
        timeoutMs: 10_000,
      });
      expect(response.status).toBe(200);
      expect(JSON.parse(response.text)).toMatchObject({ structuredContent: { late: 'but fine' } });
    } finally {
      fake.setWorkflow('flaky', {});
    }
  });

  it('keeps a legacy SSE stream open past every timeout, and serves it', async () => {
    const client = new Client({ name: 'long-lived', version: '1' });
    await client.connect(new SSEClientTransport(new URL(`/sse/${TOKENS.tenAgent}`, server.url)));
    try {
      // Longer than the body, headers and keep-alive timeouts together, and Node's checks of them.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(server.mcp.legacySse.size).toBe(1);
      const result = await client.callTool({ name: 'flaky_service', arguments: { sku: 'still-here' } });
      expect(result.isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });
});
