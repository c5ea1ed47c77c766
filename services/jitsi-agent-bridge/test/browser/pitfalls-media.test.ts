import type { Frame } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserJoinerOptions, BrowserRoomJoiner } from '../../src/browser/index.ts';
import { epochNow, HumanBrowser, joinAsAgent, type RecordingEvents, startBot } from '../helpers/browser-harness.ts';
import { startStandinJitsi, type StandinJitsi } from '../standin-jitsi/server.ts';
import { speechWav, type TestWav } from '../standin-jitsi/test-audio.ts';

/**
 * The Chromium media pitfalls the bot works around (shared/research/voice-bridge.md, December
 * update), each shown both ways: the bot as production runs it, and a bot with one workaround
 * off (BrowserJoinerOptions `workarounds`, for tests only) failing the way the research measured.
 */
let standin: StandinJitsi;
let speech: TestWav;
let humans: HumanBrowser;
/** The bot as production runs it. */
let defaultBot: BrowserRoomJoiner;
const joiners: BrowserRoomJoiner[] = [];

async function bot(options: Partial<BrowserJoinerOptions> = {}): Promise<BrowserRoomJoiner> {
  const joiner = await startBot(standin, options);
  joiners.push(joiner);
  return joiner;
}

beforeAll(async () => {
  [standin, speech] = await Promise.all([startStandinJitsi(), speechWav('One, two, three, four, five.')]);
  [humans, defaultBot] = await Promise.all([HumanBrowser.launch(standin, { wav: speech.path }), bot()]);
});

afterAll(async () => {
  await Promise.allSettled(joiners.map((joiner) => joiner.close()));
  await humans?.close();
  await standin?.close();
  await speech?.remove();
});

async function frame(joiner: BrowserRoomJoiner, room: string): Promise<Frame> {
  const found = await joiner.frameOf(room);
  if (found === undefined) throw new Error(`the bot has no frame for ${room}`);
  return found;
}

/** Waits until the bot's page has the human's remote track in its mix. */
async function untilRemoteTrack(joiner: BrowserRoomJoiner, room: string): Promise<void> {
  await (await frame(joiner, room)).waitForFunction(() => (globalThis as unknown as { agentBridgeRoom?: { audio: { remoteStreamCount(): number } } }).agentBridgeRoom?.audio.remoteStreamCount() === 1, undefined, { timeout: 15_000 });
}

describe('(a) a remote WebRTC stream reaches Web Audio only while an <audio> element plays it (Chromium bug 933677)', () => {
  it('with the element the bot hears the human; without it every frame is digital silence', async () => {
    const withoutElement = await bot({ workarounds: { remoteAudioElement: false } });
    const heard = await joinAsAgent(defaultBot, standin, 'pitfall-element-on');
    const deaf = await joinAsAgent(withoutElement, standin, 'pitfall-element-off');
    await Promise.all([humans.join({ room: 'pitfall-element-on' }), humans.join({ room: 'pitfall-element-off' })]);
    await Promise.all([untilRemoteTrack(defaultBot, 'pitfall-element-on'), untilRemoteTrack(withoutElement, 'pitfall-element-off')]);
    const since = epochNow();
    // Longer than one pass of the looped WAV: both bots had speech to hear.
    const enough = (events: RecordingEvents) => (events.frames.at(-1)?.at ?? 0) - since > speech.durationMs + 500;
    await Promise.all([heard.events.waitFor('a pass of the WAV', enough, 20_000), deaf.events.waitFor('a pass of the WAV', enough, 20_000)]);
    const peak = (events: RecordingEvents) => events.samples(since).reduce((max, sample) => Math.max(max, Math.abs(sample)), 0);
    expect(peak(heard.events)).toBeGreaterThan(0.05);
    expect(peak(deaf.events)).toBe(0);
  });
});

describe('(b) the AudioContext needs --autoplay-policy=no-user-gesture-required (the bot page never gets a user gesture)', () => {
  it('runs with the flag', async () => {
    const state = await (await frame(defaultBot, 'pitfall-element-on')).evaluate(() => (globalThis as unknown as { agentBridgeRoom: { audio: { context: { state: string } } } }).agentBridgeRoom.audio.context.state);
    expect(state).toBe('running');
  });

  it('stays suspended without it, and join() says so', async () => {
    const joiner = await bot({ workarounds: { autoplayPolicy: false } });
    await expect(joinAsAgent(joiner, standin, 'pitfall-autoplay')).rejects.toThrow(
      'could not join room "pitfall-autoplay": the bot\'s AudioContext did not start (state "suspended" after 5000 ms): Chromium must run with --autoplay-policy=no-user-gesture-required',
    );
  });
});

describe('(c) the bot gathers host ICE candidates only with microphone permission', () => {
  const hostCandidates = (room: string) => standin.members(room).find((member) => member.nick === 'AI agent')?.candidates.filter((line) => line.includes(' typ host')) ?? [];
  const ipAddress = /^candidate:\S+ \d+ udp \d+ (\d+\.\d+\.\d+\.\d+|[0-9a-f:]+) /;

  it('with permission its host candidates carry the machine’s addresses', async () => {
    await standin.waitForMembers('pitfall-element-on', () => hostCandidates('pitfall-element-on').length > 0);
    expect(hostCandidates('pitfall-element-on').some((line) => ipAddress.test(line))).toBe(true);
  });

  it('without it Chromium hides them behind mDNS names (which a video bridge cannot resolve)', async () => {
    const joiner = await bot({ workarounds: { microphonePermission: false } });
    await joinAsAgent(joiner, standin, 'pitfall-no-permission');
    await humans.join({ room: 'pitfall-no-permission', microphone: false });
    await standin.waitForMembers('pitfall-no-permission', () => hostCandidates('pitfall-no-permission').length > 0);
    const candidates = hostCandidates('pitfall-no-permission');
    expect(candidates.some((line) => ipAddress.test(line))).toBe(false);
    expect(candidates.every((line) => /\.local /.test(line))).toBe(true);
  });
});
