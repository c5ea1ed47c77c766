import { hostname } from 'node:os';
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config.ts';
import { ALLOWED_ORIGIN, bridgeEnv, startTestBridge, type TestBridge } from '../helpers/bridge-harness.ts';
import { useControllerFixture } from '../helpers/controller-fixture.ts';
import { ScriptedJoiner } from '../helpers/scripted-joiner.ts';
import { SLOW_TEST_MS } from '../helpers/wait.ts';

/**
 * The HTTP API's guards and answers: the bearer token, Host and Origin checks, room names,
 * capacity, the probes and the errors, each with its status and sentence.
 */

const fixture = useControllerFixture();
const { bridges } = fixture;

async function bridge(overrides: ConfigInput = {}, joiner = new ScriptedJoiner(), workerPorts = 4): Promise<TestBridge> {
  const test = await startTestBridge(joiner, await bridgeEnv(fixture.ten.url, overrides, workerPorts));
  bridges.push(test);
  return test;
}

/** A raw request, so the Host header can be anything. */
function raw(url: string, method: string, path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}${path}`, { method, headers }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += String(chunk)));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('authentication', { timeout: SLOW_TEST_MS }, () => {
  it('401 with a Bearer challenge without a token, with a wrong one, or with another scheme; no TEN call', async () => {
    const test = await bridge();
    const token = test.config.BRIDGE_API_TOKEN;
    const cases: Array<[Record<string, string>, string, string]> = [
      [{}, 'this API needs an Authorization: Bearer <BRIDGE_API_TOKEN> header', 'Bearer realm="jitsi-agent-bridge"'],
      [{ authorization: `Bearer ${token}x` }, 'the bearer token is not the bridge API token', 'Bearer realm="jitsi-agent-bridge", error="invalid_token"'],
      [{ authorization: `Bearer ${token.slice(1)}` }, 'the bearer token is not the bridge API token', 'Bearer realm="jitsi-agent-bridge", error="invalid_token"'],
      [{ authorization: `Basic ${token}` }, 'this API needs an Authorization: Bearer <BRIDGE_API_TOKEN> header', 'Bearer realm="jitsi-agent-bridge"'],
    ];
    for (const [headers, error, challenge] of cases) {
      for (const [method, path] of [['POST', '/rooms/some-room/agent'], ['GET', '/rooms'], ['DELETE', '/rooms/some-room/agent'], ['GET', '/rooms/some-room/agent/events']] as const) {
        const response = await fetch(`${test.bridge.url}${path}`, { method, headers });
        expect(response.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe(challenge);
        expect(await response.json()).toEqual({ error });
      }
    }
    expect(fixture.ten.requests).toEqual([]);
    // The right token in any case of the scheme gets through.
    expect((await fetch(`${test.bridge.url}/rooms`, { headers: { authorization: `bearer ${token}` } })).status).toBe(200);
  });

  it('refuses a Host it is not known by (403), before the token is even looked at; probes answer any Host', async () => {
    const test = await bridge();
    const refused = await raw(test.bridge.url, 'POST', '/rooms/some-room/agent', { host: 'evil.example:8090', authorization: `Bearer ${test.config.BRIDGE_API_TOKEN}` });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toEqual({ error: 'Host not allowed: evil.example' });
    expect((await raw(test.bridge.url, 'GET', '/rooms', { host: 'evil.example' })).status).toBe(403);
    // Any port and any case of an allowed name.
    expect((await raw(test.bridge.url, 'GET', '/rooms', { host: 'LOCALHOST:1', authorization: `Bearer ${test.config.BRIDGE_API_TOKEN}` })).status).toBe(200);
    // A kubelet probes with the pod's IP, Railway with its own name.
    for (const path of ['/health', '/ready', '/metrics']) expect((await raw(test.bridge.url, 'GET', path, { host: '10.1.2.3:8090' })).status, path).toBe(200);
    expect(fixture.ten.requests).toEqual([]);
  });

  it('refuses a browser from another site (403 on a foreign Origin); no Origin or an allowed one passes', async () => {
    const test = await bridge();
    const auth = { authorization: `Bearer ${test.config.BRIDGE_API_TOKEN}` };
    const foreign = await fetch(`${test.bridge.url}/rooms/some-room/agent`, { method: 'POST', headers: { ...auth, origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toEqual({ error: 'Origin not allowed: https://evil.example' });
    expect(fixture.ten.requests).toEqual([]);
    expect((await fetch(`${test.bridge.url}/rooms`, { headers: { ...auth, origin: ALLOWED_ORIGIN } })).status).toBe(200);
    expect((await fetch(`${test.bridge.url}/rooms`, { headers: auth })).status).toBe(200);
  });
});

describe('requests', { timeout: SLOW_TEST_MS }, () => {
  it('400 naming the rule for a room name Jitsi would not keep as typed', async () => {
    const test = await bridge();
    for (const [room, shown] of [['Order-Desk', 'Order-Desk'], ['ab', 'ab'], ['room.name', 'room.name'], ['room%20name', 'room name'], ['-x-y', '-x-y']]) {
      for (const method of ['POST', 'GET', 'DELETE']) {
        const reply = await test.api.request<{ error: string }>(method, `/rooms/${room}/agent`);
        expect(reply.status, `${method} ${room}`).toBe(400);
        expect(reply.body).toEqual({ error: `invalid room name "${shown}": a room name is 3 to 63 lowercase letters, digits or dashes, starting with a letter or digit` });
      }
    }
    expect(fixture.ten.requests).toEqual([]);
  });

  it('404 for a room without an agent, and for unknown routes', async () => {
    const test = await bridge();
    expect(await test.api.state('empty-room')).toMatchObject({ status: 404, body: { error: 'no agent is in room empty-room' } });
    expect(await test.api.stop('empty-room')).toMatchObject({ status: 404, body: { error: 'no agent is in room empty-room' } });
    expect(await test.api.request('GET', '/rooms/empty-room/agent/events')).toMatchObject({ status: 404, body: { error: 'no agent is in room empty-room' } });
    expect(await test.api.request('PUT', '/rooms/empty-room/agent')).toMatchObject({ status: 404, body: { error: 'no route PUT /rooms/empty-room/agent' } });
  });

  it('answers /health, /ready and /metrics without a token', async () => {
    const test = await bridge();
    expect(await (await fetch(`${test.bridge.url}/health`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${test.bridge.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', replica: hostname(), capacity: { roomsMax: 12, rooms: 0, accepting: true, draining: false } });
    const metrics = await fetch(`${test.bridge.url}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    for (const name of ['agent_bridge_rooms', 'agent_bridge_room_starts_total', 'agent_bridge_start_duration_seconds', 'agent_bridge_frames_to_ten_total', 'agent_bridge_frames_from_ten_total', 'agent_bridge_flushes_total', 'agent_bridge_ten_socket_connect_attempts_total', 'agent_bridge_ten_ping_failures_total', 'agent_bridge_process_cpu_seconds_total']) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toMatch(/^agent_bridge_rooms\{state="active"\} 0$/m);
  });
});

describe('capacity', { timeout: SLOW_TEST_MS }, () => {
  it('503 "at capacity" with Retry-After at ROOMS_MAX; the room already there is still idempotent', async () => {
    const test = await bridge({ ROOMS_MAX: '1' });
    expect((await test.api.start('first-room')).status).toBe(201);
    const refused = await test.api.start('second-room');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('15');
    expect(refused.body).toEqual({ error: 'at capacity: this bridge holds 1 of ROOMS_MAX=1 rooms' });
    expect((await test.api.start('first-room')).status).toBe(200);
    expect((await test.api.list()).body.capacity).toEqual({ roomsMax: 1, rooms: 1, accepting: false, draining: false });
    expect(fixture.ten.requests.filter((request) => request.path === '/start')).toHaveLength(1);
    expect(String((await test.api.request('GET', '/metrics')).body)).toMatch(/^agent_bridge_room_starts_total\{outcome="at_capacity"\} 1$/m);
    expect(String((await test.api.request('GET', '/metrics')).body)).toMatch(/^agent_bridge_rooms\{state="active"\} 1$/m);
    // A room stopped makes room.
    expect((await test.api.stop('first-room')).status).toBe(200);
    expect((await test.api.start('second-room')).status).toBe(201);
  });

  it('503 when every TEN worker port is taken', async () => {
    const test = await bridge({}, new ScriptedJoiner(), 1);
    expect((await test.api.start('first-room')).status).toBe(201);
    const [ten] = test.config.TEN_AGENT_URLS;
    expect(await test.api.start('second-room')).toMatchObject({ status: 503, body: { error: `at capacity: no TEN replica can take another session (${ten!.name}: 1 of 1 worker ports taken)` } });
  });

  it('503 when the joiner says it cannot take another room without degrading the others', async () => {
    const joiner = new ScriptedJoiner();
    const test = await bridge({}, joiner);
    joiner.capacity = false;
    const refused = await test.api.start('first-room');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('15');
    expect(refused.body).toEqual({ error: 'at capacity: the browser cannot take another room without degrading the rooms it holds' });
    expect(fixture.ten.requests).toEqual([]);
    expect(await test.api.list()).toMatchObject({ body: { capacity: { accepting: false } } });
  });
});
