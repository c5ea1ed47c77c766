import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FRAME_SAMPLE_RATE } from '../../src/room-joiner.ts';
import type { RoomState, TranscriptEvent } from '../../src/room-session.ts';
import { bridgeEnv, startTestBridge, type TestBridge } from '../helpers/bridge-harness.ts';
import { GENERATED_TENAPP, startFakeTenAgent, synthesize, VOICE_AGENT_ENV, VOICE_AGENT_GRAPH, type FakeTenAgent, type TenStartRequest } from '../helpers/fake-ten.ts';
import { ALICE, ScriptedJoiner } from '../helpers/scripted-joiner.ts';
import { SseReader } from '../helpers/sse-reader.ts';
import { EVENT_WAIT_MS, SLOW_TEST_MS, waitUntil } from '../helpers/wait.ts';

/**
 * One room from POST to DELETE against the fake TEN agent server running our generated graph:
 * TEN's /start, the worker's websocket, the room's speech reaching TEN's STT, TEN's speech
 * reaching the room, transcripts in the state and on the SSE stream, barge-in, and the release
 * of everything at the end. The room side is the scripted joiner.
 */

const QUESTION = 'Where is my order?';
const ANSWER = 'Your order left the warehouse this morning. It should arrive on Thursday, before noon, at the address you gave us.';
const INTERRUPTION = 'Thank you, that is all.';
const GREETING = VOICE_AGENT_ENV['AGENT_GREETING']!;

let ten: FakeTenAgent;
let joiner: ScriptedJoiner;
let test: TestBridge;
let question: Buffer;
let interruption: Buffer;

beforeAll(async () => {
  [question, interruption] = await Promise.all([synthesize(QUESTION), synthesize(INTERRUPTION)]);
  ten = await startFakeTenAgent({ tenappDir: GENERATED_TENAPP, env: VOICE_AGENT_ENV, script: { transcripts: [QUESTION, INTERRUPTION], answers: [ANSWER, 'Goodbye.'] } });
});

beforeEach(async () => {
  joiner = new ScriptedJoiner();
  test = await startTestBridge(joiner, await bridgeEnv(ten.url, {}, 2));
});

afterEach(async () => {
  await test.close();
  await ten.reset();
});

afterAll(() => ten?.close());

const startRequests = () => ten.requests.filter((request) => request.path === '/start').map((request) => request.body as TenStartRequest & Record<string, unknown>);

describe('an agent in one room', { timeout: SLOW_TEST_MS }, () => {
  it('starts a TEN session with its own port and host, joins the room, and carries audio and transcripts both ways', async () => {
    const started = await test.api.start('order-desk');
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body).toMatchObject({ room: 'order-desk', state: 'active', participants: [ALICE], lastError: null });
    const state = started.body as RoomState;

    // TEN's /start: our graph, the room as the channel, this session's port and bind host.
    const [start] = startRequests();
    const { first, last } = test.config.TEN_WORKER_PORTS;
    expect(start).toMatchObject({
      request_id: state.sessionId,
      channel_name: 'order-desk',
      graph_name: VOICE_AGENT_GRAPH,
      timeout: 60,
      properties: { websocket_server: { host: '127.0.0.1' } },
    });
    const port = (start!.properties as { websocket_server: { port: number } }).websocket_server.port;
    expect(port).toBeGreaterThanOrEqual(first);
    expect(port).toBeLessThanOrEqual(last);
    const worker = ten.workers.get('order-desk')!;
    await expect(worker.waitFor('websocket_listening', undefined, EVENT_WAIT_MS)).resolves.toMatchObject({ host: '127.0.0.1', port });
    await worker.waitFor('client_connected', undefined, EVENT_WAIT_MS);

    // The agent's own token: this room, the display name, never a moderator.
    const room = joiner.room('order-desk')!;
    expect(room.request).toMatchObject({ room: 'order-desk', displayName: 'AI agent', sessionId: state.sessionId });
    expect(decodeJwt(room.request.jwt)).toMatchObject({ room: 'order-desk', iss: 'voice-agent', aud: 'voice-agent', sub: 'meet.jitsi', context: { user: { id: 'agent-bridge', name: 'AI agent', moderator: false } } });

    const events = new SseReader(`${test.bridge.url}/rooms/order-desk/agent/events`, { authorization: `Bearer ${test.config.BRIDGE_API_TOKEN}` });
    await events.opened;
    expect(events.status).toBe(200);
    expect(events.contentType).toMatch(/^text\/event-stream/);

    // TEN greets once audio flows; its speech is played into the room at TEN's sample rate.
    await worker.waitFor('speech_finished', (event) => event.text === GREETING, EVENT_WAIT_MS);
    await waitUntil('the greeting played into the room', () => room.played.length > 0);
    expect(room.played.every((chunk) => chunk.sampleRate === FRAME_SAMPLE_RATE)).toBe(true);

    // The room's speech reaches TEN's STT through the bridge.
    await room.say(question);
    await worker.waitFor('asr_result', (event) => event.final && event.text === QUESTION, EVENT_WAIT_MS);
    await worker.waitFor('speech_started', (event) => ANSWER.startsWith(event.text), EVENT_WAIT_MS);
    const transcripts = () => events.events.filter((event) => event.event === 'transcript').map((event) => event.data as TranscriptEvent);
    await waitUntil('the user and assistant transcripts on the stream', () =>
      transcripts().some((line) => line.role === 'user' && line.final && line.text === QUESTION) && transcripts().some((line) => line.role === 'assistant' && line.text.startsWith('Your order')),
    );
    expect(transcripts()).toContainEqual({ role: 'assistant', text: GREETING, final: true, at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });

    // A console that connects late (or reconnects) is first sent the final lines so far, in order.
    const late = new SseReader(`${test.bridge.url}/rooms/order-desk/agent/events`, { authorization: `Bearer ${test.config.BRIDGE_API_TOKEN}` });
    const replayed = () => late.events.filter((event) => event.event === 'transcript').map((event) => event.data as TranscriptEvent);
    await waitUntil('the late stream replayed the greeting and the question', () => replayed().length >= 2);
    expect(late.events[0]?.event).toBe('state');
    const finals = transcripts().filter((line) => line.final);
    expect(replayed().slice(0, 2)).toEqual(finals.slice(0, 2));
    expect(finals.slice(0, 2).map((line) => line.text)).toEqual([GREETING, QUESTION]);
    await late.close();

    const now = await test.api.state('order-desk');
    expect(now.status).toBe(200);
    expect(now.body).toMatchObject({ state: 'active', lastHeard: QUESTION, participants: [ALICE] });
    expect(now.body.heard.frames).toBeGreaterThan(question.length / 640);
    expect(now.body.heard.lastSpeechAt).not.toBeNull();
    expect(now.body.audio.framesPerSecond).toBeGreaterThan(0);
    const listed = await test.api.list();
    expect(listed.body.rooms.map((entry) => entry.room)).toEqual(['order-desk']);
    expect(listed.body.capacity).toEqual({ roomsMax: 12, rooms: 1, accepting: true, draining: false });

    // DELETE: TEN's /stop, the room left, the stream's last event is the final state.
    const stopped = await test.api.stop('order-desk');
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ room: 'order-desk', state: 'stopped', lastError: null });
    expect(ten.requests.filter((request) => request.path === '/stop').map((request) => request.body)).toEqual([{ request_id: state.sessionId, channel_name: 'order-desk' }]);
    await worker.exited;
    expect(room.isJoined).toBe(false);
    expect(room.leaveCalls).toBe(1);
    await events.ended;
    const states = events.events.filter((event) => event.event === 'state').map((event) => (event.data as RoomState).state);
    expect(states[0]).toBe('active');
    expect(states.slice(-2)).toEqual(['stopping', 'stopped']);

    // Gone from the list; GET still says how the last session ended; DELETE again finds no agent.
    expect((await test.api.list()).body.rooms).toEqual([]);
    expect((await test.api.state('order-desk')).body).toMatchObject({ state: 'stopped', sessionId: state.sessionId });
    expect(await test.api.stop('order-desk')).toMatchObject({ status: 404, body: { error: 'no agent is in room order-desk' } });

    const metrics = String((await test.api.request('GET', '/metrics')).body);
    expect(metrics).toMatch(/^agent_bridge_room_starts_total\{outcome="active"\} 1$/m);
    expect(metrics).toMatch(/^agent_bridge_frames_to_ten_total [1-9]\d*$/m);
    expect(metrics).toMatch(/^agent_bridge_frames_from_ten_total [1-9]\d*$/m);
    expect(metrics).toMatch(/^agent_bridge_ten_socket_connect_attempts_total\{result="open"\} 1$/m);
    expect(metrics).toMatch(/^agent_bridge_start_duration_seconds_count\{outcome="active"\} 1$/m);
  });

  it('a second POST for the same room is the same session: one TEN /start, 200 instead of 201', async () => {
    const [first, second] = await Promise.all([test.api.start('front-desk'), test.api.start('front-desk')]);
    expect([first.status, second.status].sort()).toEqual([200, 201]);
    expect(first.body.sessionId).toBe(second.body.sessionId);
    const third = await test.api.start('front-desk');
    expect(third.status).toBe(200);
    expect(third.body).toMatchObject({ sessionId: first.body.sessionId, state: 'active' });
    expect(startRequests()).toHaveLength(1);
    expect(joiner.requests).toHaveLength(1);
  });

  it('passes barge-in on: TEN flushes the answer when someone talks over it, and the room drops its queued audio', async () => {
    expect((await test.api.start('barge-in')).status).toBe(201);
    const worker = ten.workers.get('barge-in')!;
    const room = joiner.room('barge-in')!;
    await worker.waitFor('speech_finished', (event) => event.text === GREETING, EVENT_WAIT_MS);
    await room.say(question);
    await worker.waitFor('speech_started', (event) => ANSWER.startsWith(event.text), EVENT_WAIT_MS);
    // Let part of the answer reach the room before talking over it.
    const answerStart = room.played.length;
    await waitUntil('the answer playing in the room', () => room.played.length > answerStart + 10);
    const interruptedAt = room.played.length;
    const flushesBefore = room.flushes.length;
    await room.say(interruption);
    await worker.waitFor('asr_result', (event) => event.final && event.text === INTERRUPTION, EVENT_WAIT_MS);
    await waitUntil('a flush passed to the room', () => room.flushes.length > flushesBefore);
    expect(room.flushes.at(-1)!.afterPlayed).toBeGreaterThanOrEqual(interruptedAt);
    // TEN dropped the rest of the answer: it was flushed, never finished.
    const flushed = await worker.waitFor('speech_flushed', (event) => event.text !== undefined && ANSWER.includes(event.text), EVENT_WAIT_MS);
    expect(worker.events.filter((event) => event.type === 'speech_finished').map((event) => (event as { text: string }).text)).not.toContain(flushed.text);
    // Every flush passed to the room is counted. TEN may flush again while /metrics answers, so
    // the count read lies between the room's flushes before the request and after it.
    const before = room.flushes.length;
    const metrics = String((await test.api.request('GET', '/metrics')).body);
    const counted = Number(/^agent_bridge_flushes_total (\d+)$/m.exec(metrics)?.[1]);
    expect(counted).toBeGreaterThanOrEqual(before);
    expect(counted).toBeLessThanOrEqual(room.flushes.length);
  });

  it('never writes the API token, the JWT or its secret into a log line or an answer', async () => {
    const token = test.config.BRIDGE_API_TOKEN;
    const wrongToken = `${token.slice(0, -4)}beef`;
    const answers: string[] = [];
    const started = await test.api.start('secret-room');
    answers.push(JSON.stringify(started.body));
    const room = joiner.room('secret-room')!;
    await ten.workers.get('secret-room')!.waitFor('speech_finished', (event) => event.text === GREETING, EVENT_WAIT_MS);
    const attempts: Array<Record<string, string>> = [{}, { authorization: `Bearer ${wrongToken}` }, { authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` }];
    for (const headers of attempts) {
      const response = await fetch(`${test.bridge.url}/rooms/secret-room/agent`, { headers });
      answers.push(await response.text());
    }
    answers.push(JSON.stringify((await test.api.state('secret-room')).body), JSON.stringify((await test.api.list()).body), JSON.stringify((await test.api.stop('secret-room')).body));
    const jwt = room.request.jwt;
    expect(jwt.split('.')).toHaveLength(3);
    const logText = test.logs.text.join('\n');
    // The run logged its lifecycle at debug level, so there was plenty to leak into.
    expect(test.logs.lines.map((line) => line['msg'])).toEqual(expect.arrayContaining(['starting agent', 'TEN session started', 'joined room', 'TEN websocket connected', 'agent active', 'agent stopped']));
    for (const secret of [token, wrongToken, jwt, jwt.split('.')[2]!, test.config.JWT_APP_SECRET]) {
      expect(logText).not.toContain(secret);
      for (const answer of answers) expect(answer).not.toContain(secret);
    }
    // Every line of a session names its room and session.
    const sessionLines = test.logs.lines.filter((line) => ['starting agent', 'TEN session started', 'joined room', 'agent active', 'agent stopped'].includes(String(line['msg'])));
    for (const line of sessionLines) expect(line).toMatchObject({ room: 'secret-room', session: started.body.sessionId });
  });
});
