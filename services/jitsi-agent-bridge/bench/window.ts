import type { BrowserRoomJoiner } from '../src/browser/index.ts';
import type { BridgeApi } from '../test/helpers/bridge-harness.ts';
import { epochNow, ONSET_THRESHOLD, speakerToListenerLatencies, type Human } from '../test/helpers/browser-harness.ts';
import { matchOnsets, onsets } from '../test/standin-jitsi/test-audio.ts';
import { childChromiumUsage } from './child-chromium-usage.ts';
import type { StandinTen, StandinTenSession } from './ten-standin.ts';

/**
 * One measurement window of `npm run bench:bridge`, over every room the bridge holds at once:
 * - inbound: each human's microphone onsets (its own captured mic) → the first non-silent frame
 *   at the TEN stand-in's websocket for that room;
 * - outbound: the TEN stand-in sends an answer (a tone burst, real-time 20 ms frames) into every
 *   room once a second → the audible onset at that room's human (its meter of the agent);
 * - baseline: the same WebRTC path between two plain participants (speaker → listener);
 * - frames per second of each room as the TEN stand-in received them, the page's audio clock
 *   (GET /rooms, i.e. each room's stats()), CPU of the bot's Chromium, the humans' Chromium and
 *   this Node process over the window, PSS of both browsers, and joiner.hasCapacity().
 */

/** An onset is paired with the first one after it within this (less than the ~1 s between utterances and between answers). */
export const MAX_LAG_MS = 800;
/** Utterances and answers in a window's last second are not counted: their arrival may fall after it. */
const TAIL_MS = 1000;
const ANSWER_PERIOD_MS = 1000;
/** The switch only the humans' Chromium carries (see child-chromium-usage.ts). */
const HUMAN_CHROMIUM_SWITCH = '--use-file-for-fake-audio-capture=';

export interface BenchRoom {
  readonly room: string;
  readonly human: Human;
  readonly ten: StandinTenSession;
}

export interface WindowContext {
  readonly rooms: readonly BenchRoom[];
  /** The baseline pair: a speaker whose mic is the WAV and a listener without one. */
  readonly speaker: Human;
  readonly listener: Human;
  readonly joiner: BrowserRoomJoiner;
  readonly api: BridgeApi;
  readonly tenStandin: StandinTen;
  /** What the TEN stand-in sends as each answer (16 kHz PCM16). */
  readonly answer: Buffer;
  readonly agentName: string;
}

export interface WindowResult {
  readonly rooms: number;
  readonly windowMs: number;
  /** Latencies in ms, every room of the window pooled. */
  readonly inbound: number[];
  readonly outbound: number[];
  readonly baseline: number[];
  /** Onsets spoken and answers sent that counted (the latency arrays hold those that arrived within MAX_LAG_MS). */
  readonly spoken: number;
  readonly answered: number;
  /** Per room, frames per second at the TEN stand-in's socket. */
  readonly framesPerSecond: number[];
  /** Per room, the page's audio clock against wall time (stats().audioClockRatio). */
  readonly audioClockRatio: number[];
  /** Share of one core over the window. */
  readonly cpu: { readonly bot: number; readonly humans: number; readonly node: number };
  readonly botPssMiB: number;
  readonly humansPssMiB: number;
  readonly hasCapacity: boolean;
  /** Cores free as the joiner's admission saw them at the window's end. */
  readonly freeCpuCores: number | undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const MIB = 1024 * 1024;

export async function measureWindow(context: WindowContext, windowMs: number): Promise<WindowResult> {
  const { rooms, speaker, listener, joiner } = context;
  await Promise.all([speaker, listener, ...rooms.map(({ human }) => human)].map((human) => human.clear()));
  const before = await cpuClock(joiner);
  const startedAt = epochNow();

  // Answers: each room's once a second, rooms staggered so they do not all start together.
  const sent = rooms.map(() => [] as number[]);
  const timers: NodeJS.Timeout[] = [];
  rooms.forEach(({ ten }, index) => {
    const offset = (index * 137) % ANSWER_PERIOD_MS;
    for (let at = offset; at <= windowMs - TAIL_MS; at += ANSWER_PERIOD_MS) {
      timers.push(
        setTimeout(() => {
          const sentAt = ten.speak(context.answer);
          if (sentAt !== undefined) sent[index]!.push(sentAt);
        }, at),
      );
    }
  });
  try {
    await sleep(windowMs);
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
  const endedAt = epochNow();
  const after = await cpuClock(joiner);
  const countUntil = endedAt - TAIL_MS;

  const inbound: number[] = [];
  const outbound: number[] = [];
  let spoken = 0;
  let answered = 0;
  const framesPerSecond: number[] = [];
  for (const [index, { human, ten }] of rooms.entries()) {
    const mic = onsets(await human.spoke(), ONSET_THRESHOLD).filter((at) => at <= countUntil);
    // From a second before the window, so the frames' first onset has the quiet before it.
    const atTen = onsets(ten.received.filter(([at]) => at >= startedAt - 1000), ONSET_THRESHOLD);
    spoken += mic.length;
    inbound.push(...matchOnsets(mic, atTen, MAX_LAG_MS));
    const answers = sent[index] ?? [];
    answered += answers.length;
    outbound.push(...matchOnsets(answers, onsets(await human.heard(context.agentName), ONSET_THRESHOLD), MAX_LAG_MS));
    framesPerSecond.push(frameRate(ten.received, startedAt, endedAt));
  }
  const baseline = await speakerToListenerLatencies(speaker, listener, { maxLagMs: MAX_LAG_MS });

  const listed = await context.api.list();
  if (listed.status !== 200) throw new Error(`GET /rooms answered ${listed.status}`);
  const ratios = new Map(listed.body.rooms.map((state) => [state.room, state.audio.audioClockRatio]));
  const seconds = (endedAt - startedAt) / 1000;
  return {
    rooms: rooms.length,
    windowMs,
    inbound: sorted(inbound),
    outbound: sorted(outbound),
    baseline: sorted(baseline),
    spoken,
    answered,
    framesPerSecond,
    audioClockRatio: rooms.map(({ room }) => ratios.get(room) ?? Number.NaN),
    cpu: {
      bot: (after.bot.cpuSeconds - before.bot.cpuSeconds) / seconds,
      humans: (after.humans.cpuSeconds - before.humans.cpuSeconds) / seconds,
      node: (after.nodeMicros - before.nodeMicros) / 1e6 / seconds,
    },
    botPssMiB: after.bot.pssBytes / MIB,
    humansPssMiB: after.humans.pssBytes / MIB,
    hasCapacity: joiner.hasCapacity(),
    freeCpuCores: joiner.freeCpuCores(),
  };
}

/** Frames per second between the first and the last frame received in the window. */
function frameRate(received: ReadonlyArray<readonly [number, number]>, from: number, to: number): number {
  const times = received.filter(([at]) => at >= from && at <= to).map(([at]) => at);
  const first = times[0];
  const last = times.at(-1);
  if (first === undefined || last === undefined || last === first) return 0;
  return ((times.length - 1) * 1000) / (last - first);
}

async function cpuClock(joiner: BrowserRoomJoiner) {
  const [bot, humans] = await Promise.all([joiner.usage(), childChromiumUsage(HUMAN_CHROMIUM_SWITCH)]);
  if (bot === undefined) throw new Error("the bot's Chromium is not running (joiner.usage() found no process)");
  if (humans === undefined) throw new Error("the humans' Chromium was not found among this process's children");
  const { user, system } = process.cpuUsage();
  return { bot, humans, nodeMicros: user + system };
}

function sorted(values: number[]): number[] {
  return [...values].sort((a, b) => a - b);
}
