import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { synthesize } from '../../../test/fakes/ten-agent/index.ts';
import { ALICE } from '../../jitsi-agent-bridge/test/helpers/scripted-joiner.ts';
import { SseReader } from '../../jitsi-agent-bridge/test/helpers/sse-reader.ts';
import { waitUntil } from '../../jitsi-agent-bridge/test/helpers/wait.ts';
import { REDIS_URL, TOKENS } from '../../mcp-server/test/helpers/mcp.ts';
import { SessionStore } from '../lib/session.ts';
import { AGENT_BRIDGE_TOKEN, JWT_APP_SECRET, SESSION_SECRET } from './helpers/config.ts';
import { consoleCall } from './helpers/console-client.ts';
import { consoleLogLines, startConsoleStack, type ConsoleStack } from './helpers/console-stack.ts';
import type { LogLine } from '../../../test/helpers/log-lines.ts';
import type { ProxiedRequest } from './helpers/recording-proxy.ts';

let stack: ConsoleStack;
let redis: Redis;
let db: pg.Client;
let ada: string;
let adaSub: string;
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
  // Two rooms at most, so "at capacity" is reachable; a room left empty ends its agent at once.
  stack = await startConsoleStack({ bridgeEnv: { ROOMS_MAX: '2', EMPTY_ROOM_GRACE_SECONDS: '0.2' }, bridgeProxy: true });
  redis = new Redis(REDIS_URL);
  db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  adaSub = `ada-${randomBytes(3).toString('hex')}`;
  ada = await signedIn(adaSub, 'Ada Lovelace');
  grace = await signedIn(`grace-${randomBytes(3).toString('hex')}`, 'Grace Hopper');
}, 120_000);

afterAll(async () => {
  await db?.end();
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
      ['agent-bridge', true],
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
    for (const path of ['/api/tools', '/api/history', `/api/agent?room=${room('any')}`, `/api/agent/events?room=${room('any')}`]) {
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
  type AgentBody = { room: string; running: boolean; canControl: boolean; agent: null | { state: string; participants: Array<{ displayName: string }>; lastError: string | null } };
  const agentOf = async (name: string, cookie = ada) => (await (await call(`/api/agent?room=${name}`, { cookie })).json()) as AgentBody;
  const sessionRow = async (name: string) => {
    const { rows } = await db.query<{ user_sub: string; stopped_at: Date | null; stop_reason: string | null }>('SELECT user_sub, stopped_at, stop_reason FROM console_agent_sessions WHERE room = $1', [name]);
    return rows;
  };

  it('comes into a room through the agent bridge, which runs its TEN session, and leaves it; history has both', async () => {
    const name = room('agent');
    const started = await call('/api/agent/start', { cookie: ada, body: { room: name } });
    expect(started.status).toBe(200);
    expect(await started.json()).toMatchObject({ room: name, running: true, canControl: true, agent: { state: 'active', participants: [{ id: ALICE.id, displayName: 'Alice' }], lastError: null } });
    // The console asked the bridge, with its token; the bridge started TEN for the room.
    const asked = stack.bridgeProxy?.requests.find((request) => request.method === 'POST' && request.path === `/rooms/${name}/agent`);
    expect(asked?.headers['authorization']).toBe(`Bearer ${AGENT_BRIDGE_TOKEN}`);
    expect(stack.ten.workers.has(name)).toBe(true);
    const start = stack.ten.requests.find((request) => request.path === '/start' && (request.body as { channel_name?: string }).channel_name === name);
    expect(start?.body).toMatchObject({ channel_name: name, graph_name: 'voice_agent', properties: { websocket_server: { host: '127.0.0.1', port: expect.any(Number) } } });
    expect(stack.joiner.room(name)?.isJoined).toBe(true);
    expect(await sessionRow(name)).toEqual([{ user_sub: adaSub, stopped_at: null, stop_reason: null }]);

    // Anyone signed in sees it; only its starter (or a moderator) may stop it.
    expect(await agentOf(name, grace)).toMatchObject({ running: true, canControl: false, agent: { state: 'active' } });
    const again = await call('/api/agent/start', { cookie: grace, body: { room: name } });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: 'The voice agent is already in this room.' });
    expect(stack.ten.sessions.filter((session) => session.channelName === name)).toHaveLength(1);

    const stopped = await call('/api/agent/stop', { cookie: ada, body: { room: name } });
    expect(await stopped.json()).toMatchObject({ running: false, agent: { state: 'stopped' } });
    expect(stack.ten.workers.has(name)).toBe(false);
    expect(stack.joiner.room(name)?.isJoined).toBe(false);
    expect(await sessionRow(name)).toEqual([{ user_sub: adaSub, stopped_at: expect.any(Date), stop_reason: 'stopped' }]);
    const history = (await (await call('/api/history', { cookie: ada })).json()) as { agentSessions: Array<{ room: string; stopReason?: string; durationSeconds?: number }> };
    expect(history.agentSessions.find((session) => session.room === name)).toMatchObject({ stopReason: 'stopped', durationSeconds: expect.any(Number) });
    // Afterwards the room shows the agent's last state, and nobody can stop it again.
    expect(await agentOf(name)).toMatchObject({ running: false, canControl: false, agent: { state: 'stopped' } });
  });

  it('answers 404 in words when no agent is in the room', async () => {
    const name = room('idle');
    for (const response of [await call('/api/agent/stop', { cookie: ada, body: { room: name } }), await call(`/api/agent/events?room=${name}`, { cookie: ada })]) {
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: 'The voice agent is not in this room.' });
    }
    expect(await agentOf(name)).toEqual({ room: name, running: false, agent: null, canControl: false });
  });

  it('passes on a bridge at capacity as 503 with its Retry-After, and leaves nothing behind', async () => {
    const rooms = [room('one'), room('two'), room('three')];
    try {
      expect((await call('/api/agent/start', { cookie: ada, body: { room: rooms[0] } })).status).toBe(200);
      expect((await call('/api/agent/start', { cookie: ada, body: { room: rooms[1] } })).status).toBe(200);
      const refused = await call('/api/agent/start', { cookie: ada, body: { room: rooms[2] } });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('15');
      expect(await refused.json()).toEqual({ error: 'The voice agent service is at capacity; try again in 15 seconds.' });
      // The refused start left nothing behind: that room can start once there is room.
      expect(await agentOf(rooms[2] ?? '')).toMatchObject({ running: false, agent: null });
      expect(await sessionRow(rooms[2] ?? '')).toEqual([]);
      await call('/api/agent/stop', { cookie: ada, body: { room: rooms[0] } });
      expect((await call('/api/agent/start', { cookie: ada, body: { room: rooms[2] } })).status).toBe(200);
    } finally {
      for (const name of rooms) await call('/api/agent/stop', { cookie: ada, body: { room: name } });
    }
  });

  it('streams the agent state and what it hears and says to a signed-in page, and closes the bridge stream when the page goes away', async () => {
    const name = room('live');
    expect((await call('/api/agent/start', { cookie: ada, body: { room: name } })).status).toBe(200);
    const events = new SseReader(`${stack.url}/api/agent/events?room=${name}`, { cookie: grace });
    try {
      await events.opened;
      expect(events.status).toBe(200);
      expect(events.contentType).toBe('text/event-stream; charset=utf-8');
      await waitUntil('the first state', () => events.events.find((event) => event.event === 'state'));
      const upstream = () => stack.bridgeProxy?.requests.filter((request) => request.path === `/rooms/${name}/agent/events`) ?? [];
      expect(upstream()).toHaveLength(1);
      expect(stack.bridgeProxy?.open.has(upstream()[0] as ProxiedRequest)).toBe(true);

      // Someone in the room speaks: the fake TEN's STT hears it through the bridge, the LLM answers.
      type Line = { role: string; text: string; final: boolean; at: string };
      const lines = () => events.events.filter((event) => event.event === 'transcript').map((event) => event.data as Line);
      await stack.joiner.room(name)?.say(await synthesize('hello there', 'chirp'));
      const heard = await waitUntil('what the agent heard', () => lines().find((line) => line.role === 'user' && line.final));
      expect(heard).toEqual({ role: 'user', text: 'Hello there.', final: true, at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
      // The STT's interim result came first, as a line that is not final.
      expect(lines().findIndex((line) => line.role === 'user' && !line.final && line.text === 'Hello')).toBeLessThan(lines().indexOf(heard));
      await waitUntil('what the agent answered', () => lines().find((line) => line.role === 'assistant' && line.final && line.text === 'I heard you.'));
      // Only the two kinds of event, with only what the page shows.
      expect(new Set(events.events.map((event) => event.event))).toEqual(new Set(['state', 'transcript']));
      const state = await waitUntil('the state with what it heard', () => events.events.findLast((event) => event.event === 'state' && (event.data as { lastHeard: string | null }).lastHeard !== null));
      expect(Object.keys(state.data as object).sort()).toEqual(['lastError', 'lastHeard', 'lastSaid', 'lastSpeechAt', 'participants', 'startedAt', 'state']);
      expect(JSON.stringify(events.events)).not.toContain(AGENT_BRIDGE_TOKEN);

      await events.close();
      await waitUntil('the console to close its stream from the bridge', () => stack.bridgeProxy?.open.has(upstream()[0] as ProxiedRequest) === false);
    } finally {
      await events.close();
      await call('/api/agent/stop', { cookie: ada, body: { room: name } });
    }
  });

  it('records in history a session the bridge ended by itself, when the stream sees its end or when its state is read', async () => {
    const watched = room('emptied');
    const unwatched = room('emptied-quietly');
    for (const name of [watched, unwatched]) expect((await call('/api/agent/start', { cookie: ada, body: { room: name } })).status).toBe(200);
    const events = new SseReader(`${stack.url}/api/agent/events?room=${watched}`, { cookie: ada });
    try {
      await waitUntil('the first state', () => events.events.find((event) => event.event === 'state'));
      // Everyone leaves both rooms: after EMPTY_ROOM_GRACE_SECONDS the bridge stops both agents.
      for (const name of [watched, unwatched]) stack.joiner.room(name)?.setPeople([]);
      await events.ended;
      expect(events.events.at(-1)).toMatchObject({ event: 'state', data: { state: 'stopped', participants: [] } });
      // The stream alone wrote the end: nobody read the state.
      await waitUntil('the watched session to end in history', async () => (await sessionRow(watched))[0]?.stopped_at !== null);
      expect(await sessionRow(watched)).toEqual([{ user_sub: adaSub, stopped_at: expect.any(Date), stop_reason: 'ended by the agent bridge' }]);

      await waitUntil('the bridge to stop the other agent', async () => (await stack.bridge.api.state(unwatched)).body.state === 'stopped');
      expect(await sessionRow(unwatched)).toEqual([{ user_sub: adaSub, stopped_at: null, stop_reason: null }]);
      expect(await agentOf(unwatched)).toMatchObject({ running: false, agent: { state: 'stopped' } });
      expect(await sessionRow(unwatched)).toEqual([{ user_sub: adaSub, stopped_at: expect.any(Date), stop_reason: 'ended by the agent bridge' }]);
    } finally {
      await events.close();
    }
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

describe('the log', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const logged = (what: string, match: (line: LogLine) => boolean) => waitUntil(what, () => consoleLogLines(stack.output()).find(match));

  it('puts the caller’s X-Request-Id on its request’s lines and in its answer, and the agent’s room and session', async () => {
    const name = room('logged');
    const started = await consoleCall(stack.url, '/api/agent/start', { cookie: ada, body: { room: name }, headers: { 'x-request-id': 'browser-3c9e:start' } });
    expect(started.status).toBe(200);
    expect(started.headers.get('x-request-id')).toBe('browser-3c9e:start');
    const session = (await stack.bridge.api.state(name)).body.sessionId;
    const line = await logged('the start in the log', (candidate) => candidate.msg === 'agent started' && candidate['requestId'] === 'browser-3c9e:start');
    expect(line).toMatchObject({ level: 'info', service: 'console', room: name, session, user: adaSub });
    // The bridge names the same session the same way.
    expect(stack.bridge.logs.lines.filter((candidate) => candidate['session'] === session).map((candidate) => candidate['msg'])).toContain('agent active');

    // No usable id (129 characters): the console makes one up, answers with it and logs with it.
    const stopped = await consoleCall(stack.url, '/api/agent/stop', { cookie: ada, body: { room: name }, headers: { 'x-request-id': 'x'.repeat(129) } });
    expect(stopped.status).toBe(200);
    const made = stopped.headers.get('x-request-id') ?? '';
    expect(made).toMatch(UUID);
    expect(await logged('the stop in the log', (candidate) => candidate.msg === 'agent stopped' && candidate['requestId'] === made)).toMatchObject({ room: name, session });
    // Every route answers with an id, a redirect and a refusal too.
    const out = await consoleCall(stack.url, '/api/auth/logout', { method: 'POST' });
    expect(out.status).toBe(303);
    expect(out.headers.get('x-request-id')).toMatch(UUID);
    expect((await consoleCall(stack.url, '/api/history')).headers.get('x-request-id')).toMatch(UUID);
  });

  it('is JSON lines in the shared format, Next.js’s own start lines aside', () => {
    const lines = consoleLogLines(stack.output());
    expect(lines.length).toBeGreaterThan(10);
    // An agent's session is `session`, as in the bridge's log.
    expect(lines.filter((line) => line.msg === 'agent started').length).toBeGreaterThan(1);
    for (const line of lines) expect(line).not.toHaveProperty('sessionId');
  });
});

describe('secrets', () => {
  it('never appear in the console log, nor the bridge token in the bridge log', () => {
    const output = stack.output();
    expect(output).toContain('signed out');
    expect(output).toContain('agent started');
    for (const secret of [SESSION_SECRET, JWT_APP_SECRET, TOKENS.console, AGENT_BRIDGE_TOKEN, stack.env['OIDC_CLIENT_SECRET'] ?? 'unset', ada.split('=')[1] ?? 'unset']) {
      expect(output).not.toContain(secret);
    }
    expect(stack.bridge.logs.text.some((line) => line.includes('agent active'))).toBe(true);
    expect(stack.bridge.logs.text.join('\n')).not.toContain(AGENT_BRIDGE_TOKEN);
  });
});

// Last: it takes a dependency away.
describe('a dependency down', () => {
  it('says a draining bridge is restarting, with its Retry-After, and shows it as down', async () => {
    expect((await stack.bridge.bridge.drain(1_000)).drained).toBe(true);
    const refused = await call('/api/agent/start', { cookie: ada, body: { room: room('draining') } });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('15');
    expect(await refused.json()).toEqual({ error: 'The voice agent service is restarting and takes no new rooms; try again in 15 seconds.' });
    const body = (await (await call('/api/status')).json()) as { dependencies: Array<{ name: string; up: boolean }> };
    expect(body.dependencies.filter((dependency) => !dependency.up).map((dependency) => dependency.name)).toEqual(['agent-bridge']);
  });

  it('shows in the status as down, degrades the status, leaves readiness alone, and refuses a start in words', async () => {
    await stack.bridge.close();
    const body = (await (await call('/api/status')).json()) as { status: string; dependencies: Array<{ name: string; up: boolean }> };
    expect(body.status).toBe('degraded');
    expect(body.dependencies.filter((dependency) => !dependency.up).map((dependency) => dependency.name)).toEqual(['agent-bridge']);
    expect((await call('/api/ready')).status).toBe(200);
    const down = { error: 'The voice agent service (the agent bridge) cannot be reached right now; try again in a moment.' };
    const start = await call('/api/agent/start', { cookie: ada, body: { room: room('down') } });
    expect(start.status).toBe(502);
    expect(await start.json()).toEqual(down);
    const state = await call(`/api/agent?room=${room('down')}`, { cookie: ada });
    expect(state.status).toBe(502);
    expect(await state.json()).toEqual(down);
  });
});
