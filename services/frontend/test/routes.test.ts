import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, TOKENS } from '../../mcp-server/test/helpers/mcp.ts';
import { SessionStore } from '../lib/session.ts';
import { JWT_APP_SECRET, SESSION_SECRET } from './helpers/config.ts';
import { startConsoleStack, type ConsoleStack } from './helpers/console-stack.ts';

let stack: ConsoleStack;
let redis: Redis;
let ada: string;
let grace: string;

/** A signed-in browser's session cookie, made the way the callback makes it. */
async function signedIn(sub: string, name: string): Promise<string> {
  const { cookieValue } = await new SessionStore(redis, SESSION_SECRET, 600).create({ sub, name, email: `${sub}@example.test` }, undefined);
  return `console-session=${cookieValue}`;
}

function call(path: string, options: { cookie?: string; body?: unknown; origin?: string | null; method?: string } = {}) {
  const headers: Record<string, string> = {};
  if (options.cookie !== undefined) headers['cookie'] = options.cookie;
  const method = options.method ?? (options.body === undefined ? 'GET' : 'POST');
  if (method !== 'GET' && options.origin !== null) headers['origin'] = options.origin ?? stack.url;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${stack.url}${path}`, { method, headers, redirect: 'manual', ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
}

const room = (name: string) => `${name}-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  stack = await startConsoleStack({ ten: { workersMax: 2 } });
  redis = new Redis(REDIS_URL);
  ada = await signedIn(`ada-${randomBytes(3).toString('hex')}`, 'Ada Lovelace');
  grace = await signedIn(`grace-${randomBytes(3).toString('hex')}`, 'Grace Hopper');
}, 120_000);

afterAll(async () => {
  await redis?.quit();
  await stack?.close();
});

describe('operations routes', () => {
  it('answers liveness without touching anything, and readiness with its checks', async () => {
    expect(await (await call('/api/health')).json()).toEqual({ status: 'ok' });
    const ready = await call('/api/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: true, redis: true } });
  });

  it('reports every dependency with its latency, and names no address or secret', async () => {
    const response = await call('/api/status');
    const text = await response.text();
    const body = JSON.parse(text) as { status: string; dependencies: Array<{ name: string; up: boolean; latencyMs: number }> };
    expect(body.status).toBe('ok');
    expect(body.dependencies.map((dependency) => [dependency.name, dependency.up])).toEqual([
      ['mcp-server', true],
      ['ten-agent', true],
      ['jitsi', true],
      ['postgres', true],
      ['redis', true],
    ]);
    for (const dependency of body.dependencies) expect(dependency.latencyMs).toBeGreaterThanOrEqual(0);
    expect(text).not.toMatch(/127\.0\.0\.1|postgres(ql)?:\/\/|redis:\/\/|token|secret/i);
  });

  it('smoke-tests the MCP server path for the deploy workflow, from one probe shared by every caller', async () => {
    const response = await call('/api/mcp/test');
    expect(response.status).toBe(200);
    const first = (await response.json()) as { status: string; tools: number; checkedAt: string };
    expect(first).toMatchObject({ status: 'ok', tools: 4 });
    // Within MCP_PROBE_CACHE_SECONDS a second caller gets the same probe, not a new round trip.
    expect(await (await call('/api/mcp/test')).json()).toMatchObject({ status: 'ok', tools: 4, checkedAt: first.checkedAt });
  });
});

describe('who gets in', () => {
  it('answers 401 to every user route without a session, or with a forged one', async () => {
    for (const path of ['/api/tools', '/api/history', `/api/agent?room=${room('any')}`]) {
      expect((await call(path)).status).toBe(401);
      expect((await call(path, { cookie: `console-session=${'a'.repeat(43)}.${'b'.repeat(43)}` })).status).toBe(401);
    }
    for (const path of ['/api/room/token', '/api/agent/start', '/api/tools/call']) expect((await call(path, { body: {} })).status).toBe(401);
  });

  it('refuses writes that do not come from the console, even with a valid session', async () => {
    expect((await call('/api/room/token', { cookie: ada, body: { room: room('desk') }, origin: 'https://evil.example' })).status).toBe(403);
    expect((await call('/api/agent/start', { cookie: ada, body: { room: room('desk') }, origin: null })).status).toBe(403);
  });

  it('renders the sign-in page, not the console, without a session', async () => {
    const page = await (await call('/')).text();
    expect(page).toContain('href="/api/auth/login"');
    expect(page).not.toContain('Sign out');
  });

  it('starts a sign-in with PKCE and state bound to the browser, and rejects a callback from elsewhere', async () => {
    const login = await call('/api/auth/login');
    expect(login.status).toBe(303);
    const location = new URL(login.headers.get('location') ?? '');
    expect(location.origin).toBe(stack.oidc.issuer);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.get('redirect_uri')).toBe(`${stack.url}/api/auth/callback`);
    expect(login.headers.get('set-cookie')).toMatch(/console-login=[^;]+;.*HttpOnly/i);

    const forged = await call(`/api/auth/callback?code=abc&state=${location.searchParams.get('state')}`);
    expect(forged.status).toBe(303);
    expect(forged.headers.get('location')).toBe(`${stack.url}/?signin_error=other_browser`);
    expect(forged.headers.get('set-cookie') ?? '').not.toContain('console-session=');
  });

  it('signs out by revoking the session: the same cookie is refused afterwards', async () => {
    const cookie = await signedIn('leaving-user', 'Leaving User');
    expect((await call('/api/history', { cookie })).status).toBe(200);
    const logout = await call('/api/auth/logout', { cookie, method: 'POST' });
    expect(logout.status).toBe(303);
    expect(logout.headers.get('location')).toMatch(new RegExp(`^${stack.oidc.issuer}/session/end\\?`));
    expect(logout.headers.get('set-cookie')).toMatch(/console-session=;.*Max-Age=0/i);
    expect((await call('/api/history', { cookie })).status).toBe(401);
  });
});

describe('room tokens', () => {
  it('mints a short-lived JWT for the room and the signed-in user', async () => {
    const name = room('desk');
    const response = await call('/api/room/token', { cookie: ada, body: { room: name } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const { jwt, expiresAt } = (await response.json()) as { jwt: string; expiresAt: number };
    const { payload } = await jwtVerify(jwt, new TextEncoder().encode(JWT_APP_SECRET), { issuer: 'voice-agent', audience: 'voice-agent', subject: 'meet.jitsi' });
    // The first user to open a room owns it, so Ada's token carries moderator rights.
    expect(payload).toMatchObject({ room: name, context: { user: { name: 'Ada Lovelace', moderator: true, affiliation: 'owner' } } });
    expect(expiresAt - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(15 * 60_000);
  });

  it('explains a bad room name', async () => {
    const response = await call('/api/room/token', { cookie: ada, body: { room: 'Not A Room' } });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'a room name is 3 to 63 lowercase letters, digits or dashes, starting with a letter or digit' });
  });
});

describe('the voice agent', () => {
  it('starts, keeps alive and stops for a room, through the TEN agent server, and lands in history', async () => {
    const name = room('agent');
    const started = await call('/api/agent/start', { cookie: ada, body: { room: name } });
    expect(started.status).toBe(200);
    expect(await started.json()).toMatchObject({ room: name, running: true, pingIntervalMs: 10_000 });
    expect(stack.ten.workers.has(name)).toBe(true);
    const start = stack.ten.requests.find((request) => request.path === '/start' && (request.body as { channel_name?: string }).channel_name === name);
    expect(start?.body).toMatchObject({ channel_name: name, graph_name: 'voice_agent', timeout: 30 });

    expect(await (await call(`/api/agent?room=${name}`, { cookie: grace })).json()).toMatchObject({ running: true });
    expect((await call('/api/agent/ping', { cookie: ada, body: { room: name } })).status).toBe(200);
    expect(stack.ten.requests.some((request) => request.path === '/ping' && (request.body as { channel_name?: string }).channel_name === name)).toBe(true);

    const again = await call('/api/agent/start', { cookie: grace, body: { room: name } });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: 'The voice agent is already running in this room.' });

    expect(await (await call('/api/agent/stop', { cookie: ada, body: { room: name } })).json()).toMatchObject({ running: false });
    expect(stack.ten.workers.has(name)).toBe(false);
    const history = (await (await call('/api/history', { cookie: ada })).json()) as { agentSessions: Array<{ room: string; stopReason?: string; durationSeconds?: number }> };
    expect(history.agentSessions.find((session) => session.room === name)).toMatchObject({ stopReason: 'stopped', durationSeconds: expect.any(Number) });
  });

  it("passes on the agent server's limit of concurrent sessions in plain words", async () => {
    const rooms = [room('one'), room('two'), room('three')];
    try {
      expect((await call('/api/agent/start', { cookie: ada, body: { room: rooms[0] } })).status).toBe(200);
      expect((await call('/api/agent/start', { cookie: ada, body: { room: rooms[1] } })).status).toBe(200);
      const refused = await call('/api/agent/start', { cookie: ada, body: { room: rooms[2] } });
      expect(refused.status).toBe(429);
      expect(await refused.json()).toEqual({ error: 'The voice agent is at its limit of concurrent sessions; try again in a minute.' });
      // The refused start left nothing behind: that room can start once there is room.
      expect(await (await call(`/api/agent?room=${rooms[2]}`, { cookie: ada })).json()).toMatchObject({ running: false });
    } finally {
      for (const name of rooms) await call('/api/agent/stop', { cookie: ada, body: { room: name } });
    }
  });

  it('notices that the agent server dropped the agent, and ends the session in history', async () => {
    const name = room('dropped');
    expect((await call('/api/agent/start', { cookie: ada, body: { room: name } })).status).toBe(200);
    await fetch(`${stack.ten.url}/stop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ request_id: 'x', channel_name: name }) });
    const ping = await call('/api/agent/ping', { cookie: ada, body: { room: name } });
    expect(ping.status).toBe(409);
    expect(await (await call(`/api/agent?room=${name}`, { cookie: ada })).json()).toMatchObject({ running: false });
    const history = (await (await call('/api/history', { cookie: ada })).json()) as { agentSessions: Array<{ room: string; stopReason?: string }> };
    expect(history.agentSessions.find((session) => session.room === name)?.stopReason).toBe('ended by the agent server');
  });
});

describe('tools', () => {
  it('lists the MCP server catalog with input schemas', async () => {
    const { tools } = (await (await call('/api/tools', { cookie: ada })).json()) as { tools: Array<{ name: string; inputSchema: { type: string } }> };
    expect(tools.map((tool) => tool.name).sort()).toEqual(['flaky_service', 'lookup_order', 'send_slack_message', 'slow_report'].sort());
    expect(tools.every((tool) => tool.inputSchema.type === 'object')).toBe(true);
  });

  it('runs a tool for the signed-in user, who is the Connect end user, and records it in their history only', async () => {
    const response = await call('/api/tools/call', { cookie: ada, body: { name: 'lookup_order', arguments: { order_id: 'A-1001' } } });
    expect(response.status).toBe(200);
    const result = (await response.json()) as { isError: boolean; text: string };
    expect(result.isError).toBe(false);
    expect(result.text).toContain('A-1001');
    const upstream = stack.pipedream.requests.filter((request) => request.path === '/workflows/lookup-order').at(-1);
    expect(upstream?.headers['x-pd-external-user-id']).toMatch(/^ada-/);

    const history = (await (await call('/api/history', { cookie: ada })).json()) as { toolCalls: Array<{ tool: string; isError: boolean; arguments: unknown }> };
    expect(history.toolCalls[0]).toMatchObject({ tool: 'lookup_order', isError: false, arguments: { order_id: 'A-1001' } });
    const other = (await (await call('/api/history', { cookie: grace })).json()) as { toolCalls: unknown[] };
    expect(other.toolCalls).toEqual([]);
  });

  it('shows a failing tool as a result in words, and refuses a malformed call', async () => {
    const failing = (await (await call('/api/tools/call', { cookie: ada, body: { name: 'lookup_order', arguments: {} } })).json()) as { isError: boolean; text: string };
    expect(failing.isError).toBe(true);
    expect(failing.text).toMatch(/^I could not use Order lookup because/);
    expect((await call('/api/tools/call', { cookie: ada, body: { arguments: {} } })).status).toBe(400);
    const unknown = await call('/api/tools/call', { cookie: ada, body: { name: 'format_disk', arguments: {} } });
    expect(unknown.status).toBe(400);
  });
});

describe('secrets', () => {
  it('never appear in the console log', () => {
    const output = stack.output();
    expect(output).toContain('signed out');
    for (const secret of [SESSION_SECRET, JWT_APP_SECRET, TOKENS.console, stack.env['OIDC_CLIENT_SECRET'] ?? 'unset', ada.split('=')[1] ?? 'unset']) {
      expect(output).not.toContain(secret);
    }
  });
});

// Last: it takes a dependency away.
describe('a dependency down', () => {
  it('shows in the status as down, degrades the status, and leaves readiness alone', async () => {
    await stack.ten.close();
    const body = (await (await call('/api/status')).json()) as { status: string; dependencies: Array<{ name: string; up: boolean }> };
    expect(body.status).toBe('degraded');
    expect(body.dependencies.filter((dependency) => !dependency.up).map((dependency) => dependency.name)).toEqual(['ten-agent']);
    expect((await call('/api/ready')).status).toBe(200);
    const start = await call('/api/agent/start', { cookie: ada, body: { room: room('down') } });
    expect(start.status).toBe(502);
    expect(await start.json()).toEqual({ error: 'The voice agent server cannot be reached right now.' });
  });
});
