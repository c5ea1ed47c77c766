import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakePipedream, type FakePipedream } from './fakes/fake-pipedream.ts';
import { connectClient, createTestDatabase, startMcpServer, TOKENS, type RunningServer } from './helpers/mcp.ts';

let fake: FakePipedream;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let server: RunningServer;

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

function post(path: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${server.url}${path}`, { method: 'POST', headers: { ...MCP_HEADERS, ...headers }, body });
}

/** A raw HTTP request, so the Host header can be set (fetch does not let us). */
function rawRequest(path: string, headers: Record<string, string>, body = ''): Promise<{ status: number; text: string }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: body === '' ? 'GET' : 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  fake = await startFakePipedream();
  database = await createTestDatabase();
  server = await startMcpServer({ fake, databaseUrl: database.url, env: { BODY_LIMIT_BYTES: '4096' } });
});

afterAll(async () => {
  await server?.close();
  await fake?.close();
  await database?.drop();
});

describe('authentication', () => {
  it('answers 401 with WWW-Authenticate without a token or with an unknown one', async () => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer not-a-real-token-0000' }, { authorization: 'Basic dXNlcjpwYXNz' }];
    for (const headers of attempts) {
      const response = await post('/mcp', JSON.stringify(INITIALIZE), headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_(token|request)"/);
    }
  });

  it('accepts every token of a caller, so tokens rotate without downtime', async () => {
    for (const token of [TOKENS.console, TOKENS.rotated]) {
      const client = await connectClient(server.url, token);
      expect((await client.listTools()).tools.length).toBe(4);
      await client.close();
    }
  });
});

describe('Host and Origin', () => {
  it('refuses a Host that is not allowed with 403, and accepts an allowed one', async () => {
    const body = JSON.stringify(INITIALIZE);
    const headers = { ...MCP_HEADERS, authorization: `Bearer ${TOKENS.console}`, 'content-length': String(Buffer.byteLength(body)) };
    const evil = await rawRequest('/mcp', { ...headers, host: 'evil.example.com' }, body);
    expect(evil.status).toBe(403);
    expect(evil.text).toContain('Invalid Host');
    const good = await rawRequest('/mcp', { ...headers, host: 'mcp-server:8080' }, body);
    expect(good.status).toBe(200);
  });

  it('refuses a request from a disallowed Origin with 403 and a JSON-RPC error', async () => {
    const response = await post('/mcp', JSON.stringify(INITIALIZE), { authorization: `Bearer ${TOKENS.console}`, origin: 'https://evil.example.com' });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'Origin not allowed: https://evil.example.com' }, id: null });
    const allowed = await post('/mcp', JSON.stringify(INITIALIZE), { authorization: `Bearer ${TOKENS.console}`, origin: 'https://console.example.com' });
    expect(allowed.status).toBe(200);
  });

  it('answers Railway health checks on any Host, revealing nothing', async () => {
    const health = await rawRequest('/health', { host: 'healthcheck.railway.app' });
    expect(health).toEqual({ status: 200, text: '{"status":"ok"}' });
  });
});

describe('malformed and oversize requests', () => {
  const auth = { authorization: `Bearer ${TOKENS.console}` };

  it('answers unparsable JSON with a JSON-RPC parse error', async () => {
    const response = await post('/mcp', '{"jsonrpc": "2.0", "method": ', auth);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error: the body is not valid JSON' }, id: null });
  });

  it('answers JSON that is not JSON-RPC with a JSON-RPC error, and stays up', async () => {
    const response = await post('/mcp', JSON.stringify({ hello: 'world' }), auth);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { jsonrpc: string; error: { code: number } };
    expect(body.jsonrpc).toBe('2.0');
    expect(body.error.code).toBeLessThan(0);
    const client = await connectClient(server.url, TOKENS.console);
    expect((await client.listTools()).tools.length).toBe(4);
    await client.close();
  });

  it('refuses an oversize body with 413', async () => {
    const big = JSON.stringify({ ...INITIALIZE, params: { ...INITIALIZE.params, padding: 'x'.repeat(10_000) } });
    const response = await post('/mcp', big, auth);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe('Request body larger than 4096 bytes');
  });

  it('answers GET and DELETE on the stateless endpoint with 405', async () => {
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(`${server.url}/mcp`, { method, headers: { ...MCP_HEADERS, ...auth } });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
    }
  });
});

describe('operations endpoints', () => {
  it('reports readiness with its checks, and metrics by tool and outcome', async () => {
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { catalog: true, postgres: true, redis: true, audit: true }, audit: { pending: expect.any(Number) } });
    await fetch(`${server.url}/execute-tool`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.console}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tool: 'lookup_order', args: {} }),
    });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('mcp_tool_calls_total{tool="lookup_order",outcome="invalid_arguments",transport="rest"} 1');
    expect(metrics).toContain('mcp_tool_call_duration_seconds_bucket');
    expect(metrics).toContain('mcp_tool_errors_total{tool="lookup_order",error_class="invalid_arguments"} 1');
  });

  it('never writes tokens into its logs', async () => {
    await fetch(`${server.url}/sse/${TOKENS.tenAgent}`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    await post('/mcp', JSON.stringify(INITIALIZE), { authorization: `Bearer ${TOKENS.console}` });
    const logs = server.logs.join('');
    expect(logs).toContain('/sse/[redacted]');
    for (const token of Object.values(TOKENS)) expect(logs).not.toContain(token);
    expect(logs).not.toContain(fake.clientSecret);
  });
});
