import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMcpPost } from '../src/mcp-endpoint.ts';
import { startFakePipedream, type FakePipedream } from './fakes/fake-pipedream.ts';
import { createTestDatabase, startMcpServer, TOKENS, type RunningServer } from './helpers/mcp.ts';
import { openSocket, rawRequest, readUntilClosed, type RawResponse } from './helpers/raw-http.ts';

/**
 * POST /mcp is served on plain node:http ahead of Express (src/mcp-endpoint.ts); the Express route
 * still serves the other spellings of /mcp (`/mcp/` here). Both run the same checks, so every
 * request is sent to both, and both must answer it the same: status, body and the headers that
 * carry meaning.
 */

let fake: FakePipedream;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
/** Small limits, so the tests can reach them: body 4096 bytes within 500 ms, 3 messages a minute. */
let server: RunningServer;

/** The path the node:http endpoint serves, and one that only the Express route takes. */
const PATHS = { endpoint: '/mcp', express: '/mcp/' } as const;
const TOOL_CALL = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'flaky_service', arguments: { sku: 'E-1' } } });
const BASE_HEADERS = { host: '127.0.0.1', 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };
const AUTH = { authorization: `Bearer ${TOKENS.console}` };
/** Headers whose value the answer is judged by; the rest (date, request id) differs from answer to answer. */
const MEANINGFUL_HEADERS = ['content-type', 'www-authenticate', 'retry-after', 'connection', 'allow'];

function post(path: string, headers: Record<string, string>, body: string): Promise<RawResponse> {
  return rawRequest(server.url, { method: 'POST', path, headers: { ...BASE_HEADERS, 'content-length': String(Buffer.byteLength(body)), ...headers }, body });
}

function summary(response: RawResponse) {
  return {
    status: response.status,
    body: response.text === '' ? '' : JSON.parse(response.text),
    headers: Object.fromEntries(MEANINGFUL_HEADERS.filter((name) => response.headers[name] !== undefined).map((name) => [name, response.headers[name]])),
  };
}

/** An answer as compared across the paths: the seconds a 429 says to wait may differ by one between two answers. */
function comparable(answer: ReturnType<typeof summary>): string {
  return JSON.stringify(answer).replace(/retry in \d+ s/g, 'retry in N s').replace(/"retry-after":"\d+"/g, '"retry-after":"N"');
}

/** Sends the request to both paths; returns the endpoint's answer once it matched the Express route's. */
async function sameOnBothPaths(headers: Record<string, string>, body: string): Promise<ReturnType<typeof summary>> {
  const endpoint = summary(await post(PATHS.endpoint, headers, body));
  const express = summary(await post(PATHS.express, headers, body));
  expect(comparable(endpoint)).toBe(comparable(express));
  return endpoint;
}

beforeAll(async () => {
  fake = await startFakePipedream();
  database = await createTestDatabase();
  server = await startMcpServer({
    fake,
    databaseUrl: database.url,
    env: { BODY_LIMIT_BYTES: '4096', BODY_TIMEOUT_MS: '500', RATE_LIMIT_PER_MINUTE: '3', ARGUMENT_MAX_DEPTH: '8' },
  });
});

afterAll(async () => {
  await server?.close();
  await fake?.close();
  await database?.drop();
});

describe('which requests the node:http endpoint serves', () => {
  const request = (method: string, url: string) => ({ method, url }) as IncomingMessage;

  it('takes POST /mcp, with or without a query, and leaves every other request to Express', () => {
    expect(isMcpPost(request('POST', '/mcp'))).toBe(true);
    expect(isMcpPost(request('POST', '/mcp?trace=1'))).toBe(true);
    for (const [method, url] of [
      ['GET', '/mcp'],
      ['DELETE', '/mcp'],
      ['POST', '/mcp/'],
      ['POST', '/MCP'],
      ['POST', '/mcpx'],
      ['POST', '/execute-tool'],
      ['POST', 'http://127.0.0.1/mcp'],
    ] as const) {
      expect(isMcpPost(request(method, url))).toBe(false);
    }
  });
});

describe('the node:http endpoint refuses exactly what the Express route refuses', () => {
  it('serves a tool call on both', async () => {
    const answer = await sameOnBothPaths({ ...AUTH, 'x-end-user-id': 'served' }, TOOL_CALL);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text' }] } });
  });

  it('a Host that is not allowed: 403', async () => {
    const answer = await sameOnBothPaths({ ...AUTH, host: 'evil.example.com' }, TOOL_CALL);
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ jsonrpc: '2.0', error: { code: -32000, message: expect.stringContaining('Invalid Host') }, id: null });
  });

  it('an Origin that is not allowed: 403', async () => {
    const answer = await sameOnBothPaths({ ...AUTH, origin: 'https://evil.example.com' }, TOOL_CALL);
    expect(answer).toMatchObject({ status: 403, body: { jsonrpc: '2.0', error: { code: -32000, message: 'Origin not allowed: https://evil.example.com' }, id: null } });
  });

  it('no token, an unknown one, another scheme: 401 with a Bearer challenge', async () => {
    for (const headers of [{}, { authorization: 'Bearer not-a-real-token-0000' }, { authorization: 'Basic dXNlcjpwYXNz' }] as Array<Record<string, string>>) {
      const answer = await sameOnBothPaths(headers, TOOL_CALL);
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toMatch(/^Bearer error="invalid_(token|request)"/);
      expect(answer.body).toMatchObject({ error: expect.stringMatching(/^invalid_(token|request)$/) });
    }
  });

  it('a malformed X-End-User-Id from a trusted caller: 400', async () => {
    const answer = await sameOnBothPaths({ ...AUTH, 'x-end-user-id': 'has space' }, TOOL_CALL);
    expect(answer).toMatchObject({ status: 400, body: { error: 'X-End-User-Id must be 1 to 250 visible ASCII characters' } });
  });

  it('a spent budget: 429 with Retry-After, before the body is read', async () => {
    // Each path gets its own end user, so each spends a budget of its own (3 a minute).
    for (const [path, user] of [
      [PATHS.endpoint, 'limited-endpoint'],
      [PATHS.express, 'limited-express'],
    ] as const) {
      for (let call = 0; call < 3; call += 1) expect((await post(path, { ...AUTH, 'x-end-user-id': user }, TOOL_CALL)).status).toBe(200);
    }
    const endpoint = summary(await post(PATHS.endpoint, { ...AUTH, 'x-end-user-id': 'limited-endpoint' }, 'not even JSON'));
    const express = summary(await post(PATHS.express, { ...AUTH, 'x-end-user-id': 'limited-express' }, 'not even JSON'));
    expect(endpoint.status).toBe(429);
    expect(endpoint.headers['retry-after']).toMatch(/^\d+$/);
    expect(endpoint.body).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: expect.stringMatching(/^Rate limit exceeded: at most 3 messages a minute; retry in \d+ s$/) }, id: null });
    expect(comparable(endpoint)).toBe(comparable(express));
  });

  it('a body over the limit: 413', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: { padding: 'x'.repeat(5_000) } });
    const answer = await sameOnBothPaths({ ...AUTH, 'x-end-user-id': 'big-body' }, big);
    expect(answer).toMatchObject({ status: 413, body: { error: { code: -32000, message: 'Request body larger than 4096 bytes' } } });
  });

  it('a body that is not JSON: 400 with -32700', async () => {
    const answer = await sameOnBothPaths({ ...AUTH, 'x-end-user-id': 'bad-json' }, '{"jsonrpc": "2.0", "method": ');
    expect(answer).toMatchObject({ status: 400, body: { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error: the body is not valid JSON' }, id: null } });
  });

  it('an unsupported Content-Encoding: 415', async () => {
    const answer = await sameOnBothPaths({ ...AUTH, 'x-end-user-id': 'encoding', 'content-encoding': 'x-unknown' }, TOOL_CALL);
    expect(answer.status).toBe(415);
  });

  it('a batch for a protocol version without batches, and a batch using a request id twice: 400', async () => {
    const batch = JSON.stringify([JSON.parse(TOOL_CALL), JSON.parse(TOOL_CALL)]);
    const modern = await sameOnBothPaths({ ...AUTH, 'x-end-user-id': 'batch-modern' }, batch);
    expect(modern).toMatchObject({ status: 400, body: { error: { code: -32600, message: expect.stringContaining('has no JSON-RPC batches') } } });
    const twice = await sameOnBothPaths({ ...AUTH, 'x-end-user-id': 'batch-twice', 'mcp-protocol-version': '2025-03-26' }, batch);
    expect(twice).toMatchObject({ status: 400, body: { error: { code: -32600, message: expect.stringContaining('appears more than once in the batch') } } });
  });

  it('a batch that does not fit the rest of the budget: 429', async () => {
    const batch = JSON.stringify([1, 2, 3, 4].map((id) => ({ jsonrpc: '2.0', id, method: 'tools/list' })));
    const answer = await sameOnBothPaths({ ...AUTH, 'x-end-user-id': 'batch-budget', 'mcp-protocol-version': '2025-03-26' }, batch);
    expect(answer).toMatchObject({ status: 429, headers: { 'retry-after': expect.stringMatching(/^\d+$/) } });
  });

  it('arguments nested deeper than ARGUMENT_MAX_DEPTH: the tool answers that it could not use them', async () => {
    let args: unknown = 'leaf';
    for (let level = 0; level < 20; level += 1) args = { deeper: args };
    const deep = JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'flaky_service', arguments: args } });
    const answer = await sameOnBothPaths({ ...AUTH, 'x-end-user-id': 'deep' }, deep);
    expect(answer).toMatchObject({ status: 200, body: { result: { isError: true, content: [{ text: expect.stringContaining('nested more than 8 levels deep') }] } } });
  });

  it('a body that does not arrive in time: 408, and the connection is closed', async () => {
    const answers = await Promise.all(
      Object.values(PATHS).map(async (path) => {
        const socket = await openSocket(server.url);
        socket.write(
          `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKENS.console}\r\nX-End-User-Id: slow-${path.length}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":`,
        );
        return readUntilClosed(socket, 5_000);
      }),
    );
    for (const { text, closed } of answers) {
      expect(closed).toBe(true);
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
      expect(text).toMatch(/\r\nConnection: close\r\n/i);
      expect(text).toContain('{"jsonrpc":"2.0","error":{"code":-32000,"message":"Request body not received within 500 ms"},"id":null}');
    }
  });
});

describe('what the node:http endpoint keeps of the Express path', () => {
  it('answers the request id, the caller’s when it is sound', async () => {
    const kept = await post(PATHS.endpoint, { ...AUTH, 'x-end-user-id': 'ids', 'x-request-id': 'endpoint-call-1' }, TOOL_CALL);
    expect(kept.headers['x-request-id']).toBe('endpoint-call-1');
    const fresh = await post(PATHS.endpoint, { ...AUTH, 'x-end-user-id': 'ids', 'x-request-id': 'has space' }, TOOL_CALL);
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const line = server.logs.map((text) => JSON.parse(text) as Record<string, unknown>).find((entry) => entry['msg'] === 'tool call' && entry['requestId'] === 'endpoint-call-1');
    expect(line).toMatchObject({ tool: 'flaky_service', transport: 'mcp', caller: 'console' });
  });

  it('writes a request line for a refused request, none for a tool call', async () => {
    const from = server.logs.length;
    await post(PATHS.endpoint, { 'x-request-id': 'refused-1' }, TOOL_CALL);
    await post(PATHS.endpoint, { ...AUTH, 'x-end-user-id': 'lines', 'x-request-id': 'served-1' }, TOOL_CALL);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = server.logs.slice(from).map((text) => JSON.parse(text) as { msg: string; requestId?: string; req?: unknown; res?: unknown });
    expect(lines.filter((line) => line.msg.startsWith('request ')).map(({ msg, requestId, req, res }) => ({ msg, requestId, req, res }))).toEqual([
      { msg: 'request completed', requestId: 'refused-1', req: { method: 'POST', url: '/mcp' }, res: { statusCode: 401 } },
    ]);
    expect(lines.filter((line) => line.msg === 'tool call').map((line) => line.requestId)).toEqual(['served-1']);
  });

  // Last: the server stays draining.
  it('asks for the connection to be closed once the server drains, on both paths', async () => {
    server.mcp.startShutdown();
    const answer = await sameOnBothPaths({ ...AUTH, 'x-end-user-id': 'draining' }, TOOL_CALL);
    expect(answer).toMatchObject({ status: 200, headers: { connection: 'close' } });
  });
});
