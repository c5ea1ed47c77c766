import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserRoomJoiner } from '../../src/browser/index.ts';
import { sampleValue } from '../../../../test/helpers/metrics-contract.ts';
import { bridgeEnv, startTestBridge, type TestBridge } from '../helpers/bridge-harness.ts';
import { HumanBrowser, startBot, type Human } from '../helpers/browser-harness.ts';
import { GENERATED_TENAPP, startFakeTenAgent, VOICE_AGENT_ENV, type FakeTenAgent } from '../helpers/fake-ten.ts';
import { SLOW_TEST_MS, waitUntil } from '../helpers/wait.ts';
import { startStandinJitsi, type StandinJitsi } from '../standin-jitsi/server.ts';
import { toneWav, type TestWav } from '../standin-jitsi/test-audio.ts';

/**
 * The bridge's measured series with the real bot page in the room: people counted as a human
 * joins and leaves the stand-in Jitsi, and the added latency of room audio measured from the
 * page's own capture stamp, so a stalled event loop in Node shows in it.
 */
const ROOM = 'metrics-in-browser';
let standin: StandinJitsi;
let tone: TestWav;
let humans: HumanBrowser;
let joiner: BrowserRoomJoiner;
let ten: FakeTenAgent;
let test: TestBridge;

beforeAll(async () => {
  [standin, tone] = await Promise.all([startStandinJitsi(), toneWav(440)]);
  [humans, joiner, ten] = await Promise.all([HumanBrowser.launch(standin, { wav: tone.path }), startBot(standin), startFakeTenAgent({ tenappDir: GENERATED_TENAPP, env: VOICE_AGENT_ENV })]);
  test = await startTestBridge(joiner, await bridgeEnv(ten.url, { JITSI_URL: standin.url, JWT_APP_SECRET: standin.secret }, 1));
}, SLOW_TEST_MS);

afterAll(async () => {
  await test?.close();
  await humans?.close();
  await ten?.close();
  await standin?.close();
  await tone?.remove();
});

async function scrape(): Promise<string> {
  return (await fetch(`${test.bridge.url}/metrics`)).text();
}

/** Frames to TEN that spent more than `seconds` inside the bridge, so far. */
async function slowerThan(seconds: string): Promise<number> {
  const text = await scrape();
  return sampleValue(text, 'agent_bridge_added_latency_seconds_count{direction="to_ten"}') - sampleValue(text, `agent_bridge_added_latency_seconds_bucket{le="${seconds}",direction="to_ten"}`);
}

describe('the measured series with the bot page in a room', { timeout: SLOW_TEST_MS }, () => {
  let ada: Human;

  it('counts the people who join the room and leave it, never the agent', async () => {
    expect((await test.api.start(ROOM)).status).toBe(201);
    expect(sampleValue(await scrape(), 'agent_bridge_participants')).toBe(0);
    ada = await humans.join({ room: ROOM, name: 'Ada' });
    await waitUntil('Ada counted', async () => sampleValue(await scrape(), 'agent_bridge_participants') === 1);
    const bea = await humans.join({ room: ROOM, name: 'Bea' });
    await waitUntil('Bea counted', async () => sampleValue(await scrape(), 'agent_bridge_participants') === 2);
    await bea.leave();
    await waitUntil('Bea gone', async () => sampleValue(await scrape(), 'agent_bridge_participants') === 1);
  });

  it('times room frames from their capture in the page: a stalled event loop in Node adds its stall', async () => {
    await waitUntil('frames timed', async () => sampleValue(await scrape(), 'agent_bridge_added_latency_seconds_count{direction="to_ten"}') > 100);
    const before = await slowerThan('0.1');
    // Node busy for 300 ms: the page keeps capturing, its frames wait on the loopback socket.
    const until = performance.now() + 300;
    while (performance.now() < until);
    await waitUntil('the stalled frames timed', async () => (await slowerThan('0.1')) > before);
    // About 300 ms of frames waited over 100 ms: most of the 15 frames the stall held back.
    expect((await slowerThan('0.1')) - before).toBeGreaterThanOrEqual(5);
    await ada.leave();
  });
});
