import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractProblems, defaultMetricNames, documentedSeries, sampleValue } from '../../../../test/helpers/metrics-contract.ts';
import { bridgeEnv, startTestBridge, type TestBridge } from '../helpers/bridge-harness.ts';
import { GENERATED_TENAPP, startFakeTenAgent, synthesize, VOICE_AGENT_ENV, type FakeTenAgent } from '../helpers/fake-ten.ts';
import { ALICE, ScriptedJoiner } from '../helpers/scripted-joiner.ts';
import { EVENT_WAIT_MS, SLOW_TEST_MS, waitUntil } from '../helpers/wait.ts';

/**
 * The bridge's /metrics while a room runs against the fake TEN agent: every series of the
 * README's Metrics table with its type and labels and nothing else, and the measured ones moving
 * for the reasons they measure (people joining, a question answered, audio both ways).
 */
const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const QUESTION = 'Where is my order?';
const ANSWER = 'It left the warehouse this morning.';
const BOB = { id: 'bob-2', displayName: 'Bob' };

let ten: FakeTenAgent;
let joiner: ScriptedJoiner;
let test: TestBridge;
let question: Buffer;

beforeAll(async () => {
  question = await synthesize(QUESTION);
  ten = await startFakeTenAgent({ tenappDir: GENERATED_TENAPP, env: VOICE_AGENT_ENV, script: { transcripts: [QUESTION], answers: [ANSWER] } });
  joiner = new ScriptedJoiner();
  test = await startTestBridge(joiner, await bridgeEnv(ten.url, {}, 1));
});

afterAll(async () => {
  await test?.close();
  await ten?.close();
});

async function scrape(): Promise<string> {
  const response = await fetch(`${test.bridge.url}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

describe('the metrics of a running room', { timeout: SLOW_TEST_MS }, () => {
  it('say what runs, count people, TEN sessions and audio, and time the answer to a question', async () => {
    const before = await scrape();
    expect(sampleValue(before, 'agent_bridge_participants')).toBe(0);
    expect(sampleValue(before, 'agent_bridge_ten_sessions{state="active"}')).toBe(0);
    expect(before).toMatch(/^agent_bridge_build_info\{version="0\.1\.0"\} 1$/m);

    expect((await test.api.start('metrics-desk')).status).toBe(201);
    const room = joiner.room('metrics-desk')!;
    const worker = ten.workers.get('metrics-desk')!;
    // The greeting: the agent speaks without a question, which is no answer to time.
    await worker.waitFor('speech_finished', (event) => event.text === VOICE_AGENT_ENV['AGENT_GREETING'], EVENT_WAIT_MS);
    await waitUntil('the greeting played into the room', () => room.played.length > 0);
    const greeted = await scrape();
    expect(sampleValue(greeted, 'agent_bridge_participants')).toBe(1);
    expect(sampleValue(greeted, 'agent_bridge_ten_sessions{state="active"}')).toBe(1);
    expect(sampleValue(greeted, 'agent_bridge_rooms{state="active"}')).toBe(1);
    expect(sampleValue(greeted, 'agent_bridge_response_latency_seconds_count')).toBe(0);
    // Room audio flowed before TEN's websocket answered: those frames had nowhere to go.
    expect(sampleValue(greeted, 'agent_bridge_frames_dropped_total{direction="to_ten"}')).toBeGreaterThan(0);
    expect(sampleValue(greeted, 'agent_bridge_added_latency_seconds_count{direction="to_ten"}')).toBeGreaterThan(0);
    expect(sampleValue(greeted, 'agent_bridge_added_latency_seconds_count{direction="to_room"}')).toBeGreaterThan(0);

    room.setPeople([ALICE, BOB]);
    expect(sampleValue(await scrape(), 'agent_bridge_participants')).toBe(2);

    // A question, then its answer: one wait from the end of the question to the answer's first audible frame.
    const playedBefore = room.played.length;
    const saidAt = performance.now();
    await room.say(question);
    const questionEndedAt = performance.now();
    await worker.waitFor('speech_started', (event) => ANSWER.startsWith(event.text), EVENT_WAIT_MS);
    await waitUntil('the answer played into the room', () => room.played.length > playedBefore);
    const answered = await waitUntil('the answer timed', async () => {
      const text = await scrape();
      return sampleValue(text, 'agent_bridge_response_latency_seconds_count') >= 1 ? text : undefined;
    });
    const waited = sampleValue(answered, 'agent_bridge_response_latency_seconds_sum');
    // Between the question's end (the last loud frame is at most the question's length before
    // say() resolved) and now; the fake TEN answers only once its STT has the final transcript.
    expect(waited).toBeGreaterThan(0);
    expect(waited).toBeLessThan((performance.now() - saidAt) / 1000);
    expect(waited).toBeLessThan((performance.now() - questionEndedAt) / 1000 + question.length / 32_000);

    expect(contractProblems(answered, documentedSeries(README), await defaultMetricNames('agent_bridge_'))).toEqual([]);

    await test.api.stop('metrics-desk');
    const after = await scrape();
    expect(sampleValue(after, 'agent_bridge_participants')).toBe(0);
    expect(sampleValue(after, 'agent_bridge_ten_sessions{state="active"}')).toBe(0);
  });
});
