import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { ConfigInput } from '../../src/config.ts';
import { bridgeEnv, startTestBridge } from '../helpers/bridge-harness.ts';
import { derivedTenapp, GENERATED_TENAPP, portOf, startFakeTenAgent, VOICE_AGENT_ENV, voiceAgentGraph, type FakeTenAgent } from '../helpers/fake-ten.ts';
import { freePortRange } from '../helpers/ports.ts';
import { useControllerFixture } from '../helpers/controller-fixture.ts';
import { ScriptedJoiner } from '../helpers/scripted-joiner.ts';
import { EVENT_WAIT_MS, SLOW_TEST_MS, waitUntil } from '../helpers/wait.ts';

/**
 * The TEN side of a room's session against the fake TEN agent server: /ping keeping the session
 * alive past TEN's timeout, the worker's websocket found by retrying, TEN's one-client rule,
 * a worker that dies while starting, and TEN's error codes as the API's answers.
 */

const fixture = useControllerFixture();
const { bridges, extraTens } = fixture;

async function bridgeFor(agent: FakeTenAgent, overrides: ConfigInput = {}, joiner = new ScriptedJoiner(), workerPorts = 2) {
  const test = await startTestBridge(joiner, await bridgeEnv(agent.url, overrides, workerPorts));
  bridges.push(test);
  return { test, joiner };
}

const requestsTo = (agent: FakeTenAgent, path: string) => agent.requests.filter((request) => request.path === path);

async function tenStart(agent: FakeTenAgent, channel: string, port: number, timeout?: number): Promise<unknown> {
  const response = await fetch(`${agent.url}/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ channel_name: channel, graph_name: 'voice_agent', ...(timeout === undefined ? {} : { timeout }), properties: { websocket_server: { host: '127.0.0.1', port } } }),
  });
  return response.json();
}

describe('keeping the TEN session alive', { timeout: SLOW_TEST_MS }, () => {
  it('pings well inside the worker timeout, so the session outlives it while a session nobody pings is reaped', async () => {
    // A 2 s timeout: pings every 0.5 s. TEN's reaper passes every 5 s.
    const { test } = await bridgeFor(fixture.ten, { TEN_SESSION_TIMEOUT_SECONDS: '2' });
    expect((await test.api.start('pinged-room')).status).toBe(201);
    const kept = fixture.ten.workers.get('pinged-room')!;
    expect(kept.quitTimeoutSeconds).toBe(2);
    // The control: the same timeout, no pings.
    const unpinged = await freePortRange(1);
    expect(await tenStart(fixture.ten, 'unpinged-room', unpinged.first, 2)).toMatchObject({ code: '0' });
    const control = fixture.ten.workers.get('unpinged-room')!;

    await control.exited;
    // The reaper has passed at least once past the timeout: the pinged session is still there.
    expect(fixture.ten.workers.get('pinged-room')).toBe(kept);
    expect(kept.exit).toBeUndefined();
    expect(kept.signalsSent).toEqual([]);
    const pings = requestsTo(fixture.ten, '/ping');
    expect(pings.length).toBeGreaterThanOrEqual(4);
    const sessionId = (await test.api.state('pinged-room')).body.sessionId;
    for (const ping of pings) expect(ping.body).toEqual({ request_id: sessionId, channel_name: 'pinged-room' });
    expect((await test.api.state('pinged-room')).body).toMatchObject({ state: 'active', lastError: null });
  });

  it('fails the room with a clear error when TEN no longer has its session, and releases the room', async () => {
    const { test, joiner } = await bridgeFor(fixture.ten, { TEN_SESSION_TIMEOUT_SECONDS: '2' });
    expect((await test.api.start('reaped-room')).status).toBe(201);
    const worker = fixture.ten.workers.get('reaped-room')!;
    // TEN stops the session behind the bridge's back (an operator, or a restart of the agent server).
    const stop = await fetch(`${fixture.ten.url}/stop`, { method: 'POST', body: JSON.stringify({ channel_name: 'reaped-room' }) });
    expect(await stop.json()).toMatchObject({ code: '0' });
    await worker.exited;
    const failed = await waitUntil('the room to fail', async () => {
      const state = await test.api.state('reaped-room');
      return state.body.state === 'failed' ? state.body : undefined;
    });
    // Whichever noticed first: the websocket closing or the next /ping.
    expect(failed.lastError).toMatch(/TEN's worker websocket at ws:\/\/127\.0\.0\.1:\d+ closed|TEN no longer has a session for room reaped-room \(10002 channel not existed/);
    expect(joiner.room('reaped-room')!.isJoined).toBe(false);
    // The port is free again: a new start takes it (two ports, one other room running).
    expect((await test.api.start('reaped-room')).status).toBe(201);
    expect((await test.api.start('other-room')).status).toBe(201);
  });
});

describe("finding the worker's websocket", { timeout: SLOW_TEST_MS }, () => {
  it('retries until the worker listens (TEN answers /start before that)', async () => {
    const { test } = await bridgeFor(fixture.ten);
    expect((await test.api.start('slow-worker')).status).toBe(201);
    const worker = fixture.ten.workers.get('slow-worker')!;
    await worker.waitFor('client_connected', undefined, EVENT_WAIT_MS);
    // The worker process boots (a Node process here, tman and Python in TEN) after /start answered.
    const metrics = String((await test.api.request('GET', '/metrics')).body);
    expect(metrics).toMatch(/^agent_bridge_ten_socket_connect_attempts_total\{result="open"\} 1$/m);
    const attempts = test.logs.lines.find((line) => line['msg'] === 'TEN websocket connected')!['attempts'] as number;
    // The first attempt comes right after /start answered, long before a process has booted.
    expect(attempts).toBeGreaterThanOrEqual(2);
    const refused = Number(/^agent_bridge_ten_socket_connect_attempts_total\{result="refused"\} (\d+)$/m.exec(metrics)?.[1]);
    expect(refused).toBe(attempts - 1);
  });

  it('fails the start with the deadline when the worker never listens, and stops the TEN session', async () => {
    // websocket_server binds an address this machine does not have, so the worker never listens.
    const { test, joiner } = await bridgeFor(fixture.ten, { TEN_WORKER_BIND_HOST: '192.0.2.1', TEN_CONNECT_TIMEOUT_SECONDS: '2' }, undefined, 1);
    const started = await test.api.start('never-listens');
    expect(started.status).toBe(504);
    expect(started.body.error).toMatch(/^TEN's worker websocket at ws:\/\/127\.0\.0\.1:\d+ did not answer within 2 s \(TEN_CONNECT_TIMEOUT_SECONDS; \d+ attempts, last: ECONNREFUSED\)$/);
    expect(requestsTo(fixture.ten, '/stop')).toHaveLength(1);
    expect(joiner.room('never-listens')!.isJoined).toBe(false);
    expect((await test.api.state('never-listens')).body).toMatchObject({ state: 'failed', lastError: started.body.error });
    // Its one port was given back.
    const again = await test.api.start('next-room');
    expect(again.status).not.toBe(503);
  });

  it('reports a worker that exits before its websocket answers', async () => {
    // A variable the graph needs is missing: TEN's worker exits at start (status 1).
    const { AGENT_PROMPT: _missing, ...env } = VOICE_AGENT_ENV;
    const broken = await startFakeTenAgent({ tenappDir: GENERATED_TENAPP, env });
    extraTens.push(broken);
    const { test } = await bridgeFor(broken, { TEN_SESSION_TIMEOUT_SECONDS: '2', TEN_CONNECT_TIMEOUT_SECONDS: '15' });
    const started = await test.api.start('broken-graph');
    expect(started.status).toBe(502);
    expect(started.body.error).toBe('TEN no longer has a session for room broken-graph (10002 channel not existed on /ping): its worker exited or was stopped');
    expect(broken.sessions[0]!.exit).toMatchObject({ code: 1 });
  });

  it("names TEN's one-client rule when another client holds the worker's websocket (close 1008)", async () => {
    const joiner = new ScriptedJoiner();
    const { test } = await bridgeFor(fixture.ten, {}, joiner);
    // Hold the bridge in its join, after /start, while another client takes the worker's socket.
    joiner.holdJoins();
    const starting = test.api.start('taken-socket');
    await waitUntil('TEN /start', () => fixture.ten.workers.get('taken-socket'));
    const worker = fixture.ten.workers.get('taken-socket')!;
    const port = portOf(worker.startRequest);
    await worker.waitFor('websocket_listening', undefined, EVENT_WAIT_MS);
    const intruder = new WebSocket(`ws://127.0.0.1:${port}`);
    await new Promise((resolve, reject) => intruder.once('open', resolve).once('error', reject));
    await worker.waitFor('client_connected', undefined, EVENT_WAIT_MS);
    joiner.releaseJoins();
    const started = await starting;
    expect(started.status).toBe(502);
    expect(started.body.error).toBe(
      `TEN's worker websocket at ws://127.0.0.1:${port} already has a client and turned the bridge away (close 1008 "Only one connection allowed"): websocket_server takes one client per session, so another bridge or client holds this session`,
    );
    await fixture.ten.workers.get('taken-socket')?.exited;
    expect(requestsTo(fixture.ten, '/stop')).toHaveLength(1);
    expect(joiner.room('taken-socket')!.isJoined).toBe(false);
    intruder.close();
  });
});

describe("TEN's messages through a session", { timeout: SLOW_TEST_MS }, () => {
  it('plays audio at the sample rate TEN says (a 24 kHz TTS), and reads transcripts sent as JSON text', async () => {
    // The fake's worker cannot bind (an address this machine does not have), so the test plays
    // websocket_server on the session's port: a TTS vendor at 24 kHz, as ElevenLabs can be set.
    const { test, joiner } = await bridgeFor(fixture.ten, { TEN_WORKER_BIND_HOST: '192.0.2.1' }, undefined, 1);
    const { first: port } = test.config.TEN_WORKER_PORTS;
    const server = await new Promise<WebSocketServer>((resolve) => {
      const listening: WebSocketServer = new WebSocketServer({ host: '127.0.0.1', port }, () => resolve(listening));
    });
    const speech = Buffer.alloc(960);
    for (let index = 0; index < 480; index += 1) speech.writeInt16LE(Math.round(8000 * Math.sin(index / 5)), index * 2);
    server.on('connection', (client) => {
      client.on('message', () => undefined);
      client.send(JSON.stringify({ type: 'audio', audio: speech.toString('base64'), metadata: { sample_rate: 24000, channels: 1, bytes_per_sample: 2, samples_per_channel: 480 } }));
      client.send(JSON.stringify({ type: 'data', name: 'text_data', data: JSON.stringify({ data_type: 'transcribe', role: 'assistant', text: 'Hello from 24 kHz.', is_final: true, stream_id: 100 }) }));
    });
    try {
      expect((await test.api.start('hi-fi-room')).status).toBe(201);
      const room = joiner.room('hi-fi-room')!;
      await waitUntil('the audio played', () => room.played.length === 1);
      expect(room.played[0]!.sampleRate).toBe(24000);
      expect(room.played[0]!.pcm).toEqual(speech);
      await waitUntil('the transcript', async () => (await test.api.state('hi-fi-room')).body.lastSaid === 'Hello from 24 kHz.');
    } finally {
      await test.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("TEN's error codes", { timeout: SLOW_TEST_MS }, () => {
  it('503 with Retry-After when TEN is at its workers limit (10001)', async () => {
    const full = await startFakeTenAgent({ tenappDir: GENERATED_TENAPP, env: VOICE_AGENT_ENV, workersMax: 1 });
    extraTens.push(full);
    const { first } = await freePortRange(1);
    expect(await tenStart(full, 'someone-else', first)).toMatchObject({ code: '0' });
    const { test, joiner } = await bridgeFor(full);
    const started = await test.api.start('one-too-many');
    expect(started.status).toBe(503);
    expect(started.headers.get('retry-after')).toBe('15');
    expect(started.body.error).toBe('TEN is at its workers limit (10001 workers limit): raise WORKERS_MAX on the ten-agent service or stop a session [POST /start]');
    expect(joiner.requests).toEqual([]);
    expect(requestsTo(full, '/stop')).toEqual([]);
  });

  it('502 naming the graph when TEN has no such graph (10100)', async () => {
    const { test, joiner } = await bridgeFor(fixture.ten, { TEN_AGENT_GRAPH: 'no_such_graph' });
    const started = await test.api.start('wrong-graph');
    expect(started.status).toBe(502);
    expect(started.body.error).toBe(`TEN could not prepare the session (10100 process property failed): is graph "no_such_graph" (TEN_AGENT_GRAPH) in the tenapp's property.json? [POST /start]`);
    expect(joiner.requests).toEqual([]);
  });

  it('502 when TEN already runs a session for the room (10003), leaving that session alone', async () => {
    const { first } = await freePortRange(1);
    expect(await tenStart(fixture.ten, 'already-running', first)).toMatchObject({ code: '0' });
    const { test } = await bridgeFor(fixture.ten);
    const started = await test.api.start('already-running');
    expect(started.status).toBe(502);
    expect(started.body.error).toBe('TEN already runs a session for this room (10003 channel existed): stop it on the ten-agent service first [POST /start]');
    expect(requestsTo(fixture.ten, '/stop')).toEqual([]);
    expect(fixture.ten.workers.get('already-running')!.exit).toBeUndefined();
  });

  it('502 when the TEN agent server is not there', async () => {
    const { first } = await freePortRange(1);
    const joiner = new ScriptedJoiner();
    const test = await startTestBridge(joiner, await bridgeEnv(`http://127.0.0.1:${first}`));
    bridges.push(test);
    const started = await test.api.start('no-ten');
    expect(started.status).toBe(502);
    expect(started.body.error).toBe(`TEN agent server at http://127.0.0.1:${first} is unreachable (POST /start: ECONNREFUSED)`);
  });

  it('502 when the TEN agent server crashes on the request (an empty HTTP 500)', async () => {
    // A node without a property object that the request writes to: processProperty panics.
    const tenappDir = derivedTenapp((property) => {
      delete voiceAgentGraph(property).nodes.find((node) => node.name === 'websocket_server')!.property;
    });
    const panicking = await startFakeTenAgent({ tenappDir, env: VOICE_AGENT_ENV });
    extraTens.push(panicking);
    const { test } = await bridgeFor(panicking);
    const started = await test.api.start('panics');
    rmSync(tenappDir, { recursive: true, force: true });
    expect(started.status).toBe(502);
    expect(started.body.error).toBe(`TEN agent server answered POST /start with HTTP 500 and no body (it answers 200 to every request it handles)`);
  });
});
