import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config.ts';
import type { RoomState } from '../../src/room-session.ts';
import { bridgeEnv } from '../helpers/bridge-harness.ts';
import { startBridgeProcess, type BridgeProcess } from '../helpers/bridge-process.ts';
import { GENERATED_TENAPP, startFakeTenAgent, VOICE_AGENT_ENV, type FakeTenAgent } from '../helpers/fake-ten.ts';
import { SseReader } from '../helpers/sse-reader.ts';
import { SLOW_TEST_MS, waitUntil } from '../helpers/wait.ts';

/**
 * Rooms placed over bridge replicas (separate processes) and TEN replicas (fake agent servers,
 * each on a loopback address of its own, as each is a container of its own in a deployment) by
 * leases in the real Redis.
 */

const REDIS_URL = 'redis://127.0.0.1:6379';
const PREFIX = `voice-tier-test:${randomBytes(4).toString('hex')}:`;
/** Worker ports per TEN replica: its workers limit. */
const SEATS = 2;

let tenA: FakeTenAgent;
let tenB: FakeTenAgent;
let redis: Redis;
let shared: ConfigInput;
const replicas: BridgeProcess[] = [];

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  const env = await bridgeEnv('http://unused:1', {}, SEATS);
  [tenA, tenB] = await Promise.all(
    ['127.0.0.2', '127.0.0.3'].map((address) => startFakeTenAgent({ tenappDir: GENERATED_TENAPP, env: VOICE_AGENT_ENV, workersMax: SEATS, address })),
  ) as [FakeTenAgent, FakeTenAgent];
  shared = {
    ...env,
    TEN_AGENT_URLS: `ten-a=${tenA.url},ten-b=${tenB.url}`,
    // As rendered: the worker listens on every interface of its container.
    TEN_WORKER_BIND_HOST: '::',
    REDIS_URL,
    VOICE_TIER_KEY_PREFIX: PREFIX,
    ROOMS_MAX: '3',
    LOG_LEVEL: 'info',
  };
}, SLOW_TEST_MS);

afterEach(async () => {
  for (const replica of replicas.splice(0)) replica.kill();
  await Promise.all([tenA.reset(), tenB.reset()]);
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
});

afterAll(async () => {
  await Promise.all([tenA?.close(), tenB?.close()]);
  redis?.disconnect();
});

async function replica(id: string, overrides: ConfigInput = {}): Promise<BridgeProcess> {
  const started = await startBridgeProcess({ ...shared, BRIDGE_REPLICA_ID: id, ...overrides });
  replicas.push(started);
  return started;
}

/** Waits until `peer` has published itself, so the others can forward to it. */
async function published(...ids: string[]): Promise<void> {
  await waitUntil(`replicas ${ids.join(', ')} to publish themselves`, async () => {
    const found = await redis.mget(...ids.map((id) => `${PREFIX}bridge:replica:${id}`));
    return found.every((value) => value !== null);
  });
}

const channels = (ten: FakeTenAgent) => [...ten.workers.keys()].sort();

describe('placement', { timeout: SLOW_TEST_MS }, () => {
  it('spreads rooms over the TEN replicas, respects their worker limits, and answers "at capacity" naming each', async () => {
    const [one, two] = await Promise.all([replica('bridge-1'), replica('bridge-2')]);
    for (const [index, room] of ['room-a', 'room-b', 'room-c', 'room-d'].entries()) {
      const started = await (index % 2 === 0 ? one : two).api.start(room);
      expect(started.status, JSON.stringify(started.body)).toBe(201);
    }
    expect(channels(tenA)).toHaveLength(SEATS);
    expect(channels(tenB)).toHaveLength(SEATS);
    expect([...channels(tenA), ...channels(tenB)].sort()).toEqual(['room-a', 'room-b', 'room-c', 'room-d']);

    const refused = await one.api.start('room-e');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('15');
    expect(refused.body.error).toBe(`at capacity: no TEN replica can take another session (ten-a: 2 of 2 worker ports taken; ten-b: 2 of 2 worker ports taken)`);
    // A room that ended frees its seat for the next.
    expect((await two.api.stop('room-b')).status).toBe(200);
    expect((await one.api.start('room-e')).status).toBe(201);
  });

  it('sends a room request that lands on another replica to the one that holds the room', async () => {
    const [one, two] = await Promise.all([replica('bridge-1'), replica('bridge-2')]);
    await published('bridge-1', 'bridge-2');
    const started = await one.api.start('shared-room');
    expect(started.status).toBe(201);

    const again = await two.api.start('shared-room');
    expect(again.status).toBe(200);
    expect(again.body.sessionId).toBe(started.body.sessionId);
    expect((await two.api.state('shared-room')).body).toMatchObject({ sessionId: started.body.sessionId, state: 'active' });
    // The holder logs a forwarded request under the id the first replica gave it, and answers with it.
    const traced = await two.api.request('GET', '/rooms/shared-room/agent', { 'x-request-id': 'traced-through-two' });
    expect(traced.headers.get('x-request-id')).toBe('traced-through-two');
    await waitUntil('the holder to log the forwarded request', () => one.lines.find((line) => line['msg'] === 'request' && line['requestId'] === 'traced-through-two'));
    expect(await waitUntil('the forwarding replica to log the request', () => two.lines.find((line) => line['msg'] === 'request' && line['requestId'] === 'traced-through-two'))).toMatchObject({ status: 200 });
    const made = (await two.api.request('GET', '/rooms/shared-room/agent')).headers.get('x-request-id');
    await waitUntil('the holder to log a forwarded request under the id the first replica made', () => one.lines.find((line) => line['msg'] === 'request' && line['requestId'] === made));
    const events = new SseReader(`${two.api.url}/rooms/shared-room/agent/events`, { authorization: `Bearer ${shared.BRIDGE_API_TOKEN!}` });
    try {
      await events.opened;
      expect(events.contentType).toMatch(/^text\/event-stream/);
      const first = await waitUntil('the first event through the forwarding replica', () => events.events[0]);
      expect(first).toMatchObject({ event: 'state', data: { sessionId: started.body.sessionId, state: 'active' } });
    } finally {
      await events.close();
    }
    const stopped = await two.api.stop('shared-room');
    expect(stopped.body).toMatchObject({ sessionId: started.body.sessionId, state: 'stopped' });
    expect(channels(tenA).concat(channels(tenB))).toEqual([]);
    const forwarded = String((await two.api.request('GET', '/metrics')).body);
    expect(forwarded).toMatch(/^agent_bridge_forwarded_requests_total\{reason="holder"\} [4-9]$/m);
  });

  it('never runs one room twice when two replicas are asked to start it at the same moment', async () => {
    const [one, two] = await Promise.all([replica('bridge-1'), replica('bridge-2')]);
    await published('bridge-1', 'bridge-2');
    const answers = await Promise.all([one.api.start('raced-room'), two.api.start('raced-room'), one.api.start('raced-room'), two.api.start('raced-room')]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 200, 201]);
    expect(new Set(answers.map((answer) => answer.body.sessionId)).size).toBe(1);
    expect([...tenA.sessions, ...tenB.sessions].filter((session) => session.channelName === 'raced-room')).toHaveLength(1);
  });

  it('passes a new room to a replica with room when this one is full', async () => {
    const [one, two] = await Promise.all([replica('bridge-1', { ROOMS_MAX: '1' }), replica('bridge-2', { ROOMS_MAX: '1' })]);
    await published('bridge-1', 'bridge-2');
    expect((await one.api.start('first-room')).status).toBe(201);
    await waitUntil('bridge-1 to publish that it is full', async () => (JSON.parse((await redis.get(`${PREFIX}bridge:replica:bridge-1`)) ?? '{}') as { accepting?: boolean }).accepting === false);
    expect((await one.api.start('second-room')).status).toBe(201);
    const listed = await two.api.list();
    expect(listed.body.rooms.map((room: RoomState) => room.room)).toEqual(['second-room']);
    // Both full (and published so): the answer says so for the whole tier.
    await waitUntil('bridge-2 to publish that it is full', async () => (JSON.parse((await redis.get(`${PREFIX}bridge:replica:bridge-2`)) ?? '{}') as { accepting?: boolean }).accepting === false);
    const refused = await one.api.start('third-room');
    expect(refused.status).toBe(503);
    expect(refused.body.error).toBe('at capacity: this bridge holds 1 of ROOMS_MAX=1 rooms; no other bridge replica can take the room either');
    expect(String((await one.api.request('GET', '/metrics')).body)).toMatch(/^agent_bridge_forwarded_requests_total\{reason="capacity"\} 1$/m);
  });

  it('places no new session on a TEN replica its drain step marked draining', async () => {
    const one = await replica('bridge-1');
    await redis.set(`${PREFIX}ten:ten-a:draining`, JSON.stringify({ since: new Date().toISOString(), sessions: 0 }), 'EX', 30);
    expect((await one.api.start('room-a')).status).toBe(201);
    expect((await one.api.start('room-b')).status).toBe(201);
    expect(channels(tenA)).toEqual([]);
    expect(channels(tenB)).toEqual(['room-a', 'room-b']);
    expect((await one.api.start('room-c')).body.error).toBe('at capacity: no TEN replica can take another session (ten-a: draining; ten-b: 2 of 2 worker ports taken)');
  });

  it("reports a killed replica's rooms lost, and starts them again elsewhere", async () => {
    const [one, two] = await Promise.all([replica('bridge-1'), replica('bridge-2')]);
    await published('bridge-1', 'bridge-2');
    const started = await one.api.start('orphan-room');
    expect(started.status).toBe(201);
    const [oldWorker] = [...tenA.workers.values(), ...tenB.workers.values()];

    one.kill();
    await one.exited;
    const lost = await waitUntil('the room to be reported lost', async () => {
      const reply = await two.api.state('orphan-room');
      return reply.body.state === 'lost' ? reply : undefined;
    });
    expect(lost.status).toBe(200);
    expect(lost.body).toMatchObject({ sessionId: started.body.sessionId, state: 'lost', lastError: `bridge replica bridge-1 stopped without ending the agent's session ${started.body.sessionId}` });

    const restarted = await two.api.start('orphan-room');
    expect(restarted.status, JSON.stringify(restarted.body)).toBe(201);
    expect(restarted.body.sessionId).not.toBe(started.body.sessionId);
    // The lost session's TEN worker was stopped rather than left to its timeout.
    await oldWorker!.exited;
    expect([...tenA.workers.values(), ...tenB.workers.values()].map((worker) => worker.requestId)).toEqual([restarted.body.sessionId]);
    expect(String((await two.api.request('GET', '/metrics')).body)).toMatch(/^agent_bridge_rooms_taken_over_total 1$/m);
  });

  it('stops a room whose lease another replica took, so two never run it', async () => {
    const one = await replica('bridge-1');
    const started = await one.api.start('stolen-room');
    expect(started.status).toBe(201);
    await redis.set(`${PREFIX}room:stolen-room:lease`, JSON.stringify({ replicaId: 'bridge-9', sessionId: 'someone-else' }), 'PX', 30_000);
    await waitUntil('the room to stop', () => one.lines.find((line) => line['msg'] === 'room lease lost' && line['room'] === 'stolen-room'), 15_000, one.summary);
    await waitUntil('its TEN session to stop', () => channels(tenA).length + channels(tenB).length === 0);
  });
});
