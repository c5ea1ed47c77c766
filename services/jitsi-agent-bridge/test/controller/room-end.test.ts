import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config.ts';
import type { RoomState } from '../../src/room-session.ts';
import { bridgeEnv, startTestBridge, type TestBridge } from '../helpers/bridge-harness.ts';
import { useControllerFixture } from '../helpers/controller-fixture.ts';
import { ALICE, ScriptedJoiner } from '../helpers/scripted-joiner.ts';
import { SseReader } from '../helpers/sse-reader.ts';
import { SLOW_TEST_MS, waitUntil } from '../helpers/wait.ts';

/**
 * How a room's agent ends other than by DELETE: the room empties for the grace period, the
 * agent loses the room, the join fails, or a DELETE comes while it is still starting. Each ends
 * with TEN's session stopped, the room left and the port free.
 */

const fixture = useControllerFixture();
const { bridges } = fixture;

async function bridge(joiner: ScriptedJoiner, overrides: ConfigInput = {}): Promise<TestBridge> {
  // One worker port: a session that did not give its port back blocks the next start.
  const test = await startTestBridge(joiner, await bridgeEnv(fixture.ten.url, overrides, 1), { heartbeatMs: 100 });
  bridges.push(test);
  return test;
}

const stops = () => fixture.ten.requests.filter((request) => request.path === '/stop');

async function finalState(test: TestBridge, room: string): Promise<RoomState> {
  return waitUntil(`room ${room} to end`, async () => {
    const reply = await test.api.state(room);
    return reply.body.state === 'stopped' || reply.body.state === 'failed' ? reply.body : undefined;
  });
}

describe('an empty room', { timeout: SLOW_TEST_MS }, () => {
  it('stops the agent once the room has had no people for the grace period, and says so on the stream', async () => {
    const joiner = new ScriptedJoiner();
    const test = await bridge(joiner, { EMPTY_ROOM_GRACE_SECONDS: '0.5' });
    expect((await test.api.start('emptying-room')).status).toBe(201);
    const events = new SseReader(`${test.bridge.url}/rooms/emptying-room/agent/events`, { authorization: `Bearer ${test.config.BRIDGE_API_TOKEN}` });
    await events.opened;
    const worker = fixture.ten.workers.get('emptying-room')!;
    joiner.room('emptying-room')!.setPeople([]);
    const ended = await finalState(test, 'emptying-room');
    expect(ended).toMatchObject({ state: 'stopped', participants: [], lastError: null });
    expect(stops()).toHaveLength(1);
    await worker.exited;
    expect(joiner.room('emptying-room')!.isJoined).toBe(false);
    await events.ended;
    const states = events.events.filter((event) => event.event === 'state').map((event) => event.data as RoomState);
    expect(states.map((state) => state.participants.length)).toContain(0);
    expect(states.at(-1)!.state).toBe('stopped');
    // The heartbeat kept the stream alive while it was open.
    expect(events.comments).toContain('heartbeat');
    expect(test.logs.lines.some((line) => line['msg'] === 'stopping agent' && line['reason'] === 'room emptying-room had no people for 0.5 s (EMPTY_ROOM_GRACE_SECONDS)')).toBe(true);
    // The port is free for the next room.
    expect((await test.api.start('next-room')).status).toBe(201);
  });

  it('keeps the agent when someone comes back within the grace period', async () => {
    const joiner = new ScriptedJoiner();
    const test = await bridge(joiner, { EMPTY_ROOM_GRACE_SECONDS: '0.5' });
    expect((await test.api.start('busy-room')).status).toBe(201);
    const room = joiner.room('busy-room')!;
    room.setPeople([]);
    room.setPeople([ALICE]);
    // Three grace periods later the agent is still there.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await test.api.state('busy-room')).body).toMatchObject({ state: 'active', participants: [ALICE] });
    expect(stops()).toEqual([]);
  });

  it('counts the grace from the start when nobody is in the room', async () => {
    const joiner = new ScriptedJoiner({ people: [] });
    const test = await bridge(joiner, { EMPTY_ROOM_GRACE_SECONDS: '0.5' });
    expect(await test.api.start('lonely-room')).toMatchObject({ status: 201, body: { participants: [] } });
    expect(await finalState(test, 'lonely-room')).toMatchObject({ state: 'stopped' });
    expect(stops()).toHaveLength(1);
  });
});

describe('other ends', { timeout: SLOW_TEST_MS }, () => {
  it('fails the room when the agent loses it, and stops the TEN session', async () => {
    const joiner = new ScriptedJoiner();
    const test = await bridge(joiner);
    expect((await test.api.start('lost-room')).status).toBe(201);
    joiner.room('lost-room')!.lose('the XMPP connection dropped');
    expect(await finalState(test, 'lost-room')).toMatchObject({ state: 'failed', lastError: 'the agent left room lost-room: the XMPP connection dropped' });
    expect(stops()).toHaveLength(1);
    expect(joiner.room('lost-room')!.leaveCalls).toBe(1);
    expect((await test.api.start('lost-room')).status).toBe(201);
  });

  it('502 when the room cannot be joined; the TEN session it started is stopped', async () => {
    const joiner = new ScriptedJoiner();
    joiner.failJoinWith = 'jitsi-web at http://jitsi-web.test did not serve /libs/lib-jitsi-meet.min.js (HTTP 404)';
    const test = await bridge(joiner);
    const started = await test.api.start('unjoinable');
    expect(started).toMatchObject({
      status: 502,
      body: { error: 'could not join room unjoinable: jitsi-web at http://jitsi-web.test did not serve /libs/lib-jitsi-meet.min.js (HTTP 404)' },
    });
    expect(stops()).toHaveLength(1);
    expect(String((await test.api.request('GET', '/metrics')).body)).toMatch(/^agent_bridge_room_starts_total\{outcome="join"\} 1$/m);
    joiner.failJoinWith = undefined;
    expect((await test.api.start('unjoinable')).status).toBe(201);
  });

  it('a DELETE while the agent is starting stops it: the POST says so, nothing is left behind', async () => {
    const joiner = new ScriptedJoiner();
    const test = await bridge(joiner);
    joiner.holdJoins();
    const starting = test.api.start('hasty-room');
    await waitUntil('the join to begin', () => joiner.requests.length === 1);
    expect((await test.api.state('hasty-room')).body.state).toBe('starting');
    const stopping = test.api.stop('hasty-room');
    await waitUntil('the session to be stopping', async () => (await test.api.state('hasty-room')).body.state === 'stopping');
    joiner.releaseJoins();
    const [started, stopped] = await Promise.all([starting, stopping]);
    expect(started).toMatchObject({ status: 409, body: { error: 'the agent in room hasty-room was stopped before it was active (stopped by DELETE /rooms/:room/agent)' } });
    expect(stopped).toMatchObject({ status: 200, body: { state: 'stopped' } });
    expect(stops()).toHaveLength(1);
    expect(joiner.room('hasty-room')!.isJoined).toBe(false);
    expect((await test.api.start('hasty-room')).status).toBe(201);
  });
});
