import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { BrowserRoomJoiner, type BrowserJoinerOptions } from '../../src/browser/index.ts';
import { FRAME_SAMPLE_RATE, type JoinedRoom, type JoinedRoomEvents } from '../../src/room-joiner.ts';
import { startStandinJitsi, type StandinJitsi, type StandinJitsiOptions } from '../standin-jitsi/server.ts';
import { matchOnsets, onsets, pcm16ToFloats, rms, toneAmplitude } from '../standin-jitsi/test-audio.ts';

/**
 * The bridge's browser half on one machine, for tests and `npm run bench:bridge`: the stand-in
 * jitsi-web (test/standin-jitsi), "human" participants in their own Chromium (a WAV as their
 * microphone, meters on what they hear) and the bot's BrowserRoomJoiner, with recorders for what
 * the joiner delivers and helpers that turn both sides' timelines into latencies.
 *
 *   const harness = await startBridgeHarness({ rooms: 3, wav: speech.path });
 *   const [first] = harness.rooms;              // { room, human, bot, events }
 *   await first.events.waitFor('speech', (events) => events.frames.length > 100);
 *   first.bot.play(pcm, 16_000);
 *   await harness.close();
 *
 * Every time is epoch milliseconds (performance.timeOrigin + performance.now()), in Node and in
 * the pages alike, so timelines from different processes on this machine compare directly.
 */

/** Debian's Chromium; CI installs it. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Participants on one machine: ICE may pair loopback addresses. */
const LOOPBACK_ICE = '--allow-loopback-in-peer-connection';

export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** [epoch ms, rms] points; the human page adds the loudest frequency (Hz) as a third value. */
export type EnergyTimeline = Array<readonly [number, number, number?]>;

/** Records what a joined room delivers; the JoinedRoomEvents a test passes to join(). */
export class RecordingEvents implements JoinedRoomEvents {
  /** Each 20 ms frame with the time it reached Node. */
  readonly frames: Array<{ readonly at: number; readonly frame: Buffer }> = [];
  readonly participants: Array<ReadonlyArray<{ id: string; displayName: string }>> = [];
  readonly left: string[] = [];

  onFrame(frame: Buffer): void {
    this.frames.push({ at: epochNow(), frame: Buffer.from(frame) });
  }

  onParticipants(participants: ReadonlyArray<{ id: string; displayName: string }>): void {
    this.participants.push([...participants]);
  }

  onLeft(reason: string): void {
    this.left.push(reason);
  }

  /** The frames' audio since `since` (epoch ms), as floats at 16 kHz. */
  samples(since = 0): Float32Array {
    return pcm16ToFloats(Buffer.concat(this.frames.filter(({ at }) => at >= since).map(({ frame }) => frame)));
  }

  /** One [arrival, rms] point per frame. */
  timeline(since = 0): EnergyTimeline {
    return this.frames.filter(({ at }) => at >= since).map(({ at, frame }) => [at, rms(pcm16ToFloats(frame))] as const);
  }

  /** Polls (bounded) until `predicate` holds; the error says what was awaited and what was seen. */
  async waitFor(what: string, predicate: (events: this) => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (frames ${this.frames.length}, participants ${JSON.stringify(this.participants.at(-1))}, left ${JSON.stringify(this.left)})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** The bot's joiner against the stand-in, with the switches participants on one machine need. */
export function startBot(standin: StandinJitsi, options: Partial<BrowserJoinerOptions> = {}): Promise<BrowserRoomJoiner> {
  return BrowserRoomJoiner.start({
    jitsiUrl: standin.url,
    xmppDomain: standin.xmppDomain,
    mucDomain: standin.mucDomain,
    chromiumPath: CHROMIUM,
    ...options,
    extraChromiumArgs: [LOOPBACK_ICE, ...(options.extraChromiumArgs ?? [])],
  });
}

/** Joins `room` as the agent (a JWT for that room unless `jwt` is given), recording what it delivers. */
export async function joinAsAgent(joiner: BrowserRoomJoiner, standin: StandinJitsi, room: string, { jwt, name = 'AI agent' }: { jwt?: string; name?: string } = {}): Promise<{ bot: JoinedRoom; events: RecordingEvents }> {
  const events = new RecordingEvents();
  const bot = await joiner.join({ room, jwt: jwt ?? (await standin.mintJwt({ room, name, id: 'agent-bridge' })), displayName: name, sessionId: `session-${room}` }, events);
  return { bot, events };
}

/** One human participant: a page of the human browser, joined to a room. */
export interface Human {
  readonly page: Page;
  readonly room: string;
  readonly name: string;
  readonly participantId: string;
  /** Energy of what this human hears from the participant named `from`. */
  heard(from: string): Promise<EnergyTimeline>;
  /** Energy of its own microphone (the WAV, as Chromium captured it). */
  spoke(): Promise<EnergyTimeline>;
  participants(): Promise<Array<{ id: string; displayName: string }>>;
  /** Forgets the energy measured so far. */
  clear(): Promise<void>;
  leave(): Promise<void>;
}

/**
 * One Chromium for every human (Chromium's fake microphone plays the same WAV in all of its
 * pages), one page per human (each its own JitsiMeetJS).
 */
/**
 * What a human's page needs of jitsi-web: the stand-in's page and XMPP, and a room token (the
 * stand-in's own, or one the console minted when the stand-in runs in another process).
 */
export type HumanRoomHost = Pick<StandinJitsi, 'url' | 'xmppDomain' | 'mucDomain' | 'xmppWebSocket' | 'mintJwt'>;

export class HumanBrowser {
  readonly browser: Browser;
  private readonly context: BrowserContext;
  private readonly standin: HumanRoomHost;

  private constructor(browser: Browser, context: BrowserContext, standin: HumanRoomHost) {
    this.browser = browser;
    this.context = context;
    this.standin = standin;
  }

  /** `wav` is the microphone; without one, Chromium's fake device beeps (fine for listeners). */
  static async launch(standin: HumanRoomHost, { wav }: { wav?: string } = {}): Promise<HumanBrowser> {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--autoplay-policy=no-user-gesture-required',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        ...(wav === undefined ? [] : [`--use-file-for-fake-audio-capture=${wav}`]),
        LOOPBACK_ICE,
      ],
    });
    const context = await browser.newContext();
    await context.grantPermissions(['microphone'], { origin: standin.url });
    return new HumanBrowser(browser, context, standin);
  }

  async join({ room, name = 'Ada', microphone = true }: { room: string; name?: string; microphone?: boolean }): Promise<Human> {
    const page = await this.context.newPage();
    await page.goto(`${this.standin.url}/_test/human.html`);
    const jwt = await this.standin.mintJwt({ room, name });
    const participantId = await page.evaluate(
      (options) => (globalThis as unknown as { human: { join(options: unknown): Promise<string> } }).human.join(options),
      { room, jwt, name, microphone, xmppDomain: this.standin.xmppDomain, mucDomain: this.standin.mucDomain, bosh: !this.standin.xmppWebSocket },
    );
    const human = (expression: string) => page.evaluate(expression);
    return {
      page,
      room,
      name,
      participantId,
      heard: async (from) => (((await human('human.heard()')) as Record<string, EnergyTimeline>)[from] ?? []),
      spoke: async () => (await human('human.spoke()')) as EnergyTimeline,
      participants: async () => (await human('human.participants()')) as Array<{ id: string; displayName: string }>,
      clear: async () => void (await human('human.clear()')),
      leave: async () => {
        await human('human.leave()').catch(() => undefined);
        await page.close();
      },
    };
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}

export interface HarnessRoom {
  readonly room: string;
  readonly human: Human;
  readonly bot: JoinedRoom;
  readonly events: RecordingEvents;
}

export interface BridgeHarness {
  readonly standin: StandinJitsi;
  readonly humans: HumanBrowser;
  readonly joiner: BrowserRoomJoiner;
  readonly rooms: HarnessRoom[];
  /** Adds one more room with its own human and the bot (benchmarks ramp rooms this way). */
  addRoom(): Promise<HarnessRoom>;
  close(): Promise<void>;
}

export interface BridgeHarnessOptions {
  /** Rooms to start with, each with one human and the bot. @default 1 */
  readonly rooms?: number;
  /** The humans' microphone. */
  readonly wav?: string;
  readonly standin?: StandinJitsiOptions;
  readonly joiner?: Partial<BrowserJoinerOptions>;
  /** The bot's display name. @default 'AI agent' */
  readonly botName?: string;
  /** @default 'bridge-room' (rooms are `<prefix>-1`, `<prefix>-2`, …) */
  readonly roomPrefix?: string;
}

/** The stand-in, a human browser and the bot's joiner, with `rooms` rooms joined by both. */
export async function startBridgeHarness(options: BridgeHarnessOptions = {}): Promise<BridgeHarness> {
  const standin = await startStandinJitsi(options.standin);
  const closers: Array<() => Promise<unknown>> = [() => standin.close()];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };
  try {
    const [humans, joiner] = await Promise.all([HumanBrowser.launch(standin, options.wav === undefined ? {} : { wav: options.wav }), startBot(standin, options.joiner)]);
    closers.push(() => humans.close(), () => joiner.close());
    const rooms: HarnessRoom[] = [];
    const botName = options.botName ?? 'AI agent';
    const prefix = options.roomPrefix ?? 'bridge-room';
    const addRoom = async (): Promise<HarnessRoom> => {
      const room = `${prefix}-${rooms.length + 1}`;
      const { bot, events } = await joinAsAgent(joiner, standin, room, { name: botName });
      const human = await humans.join({ room });
      const entry = { room, human, bot, events };
      rooms.push(entry);
      return entry;
    };
    for (let index = 0; index < (options.rooms ?? 1); index += 1) await addRoom();
    return { standin, humans, joiner, rooms, addRoom, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Levels for onset detection: speech peaks near 0.1–0.3 RMS, silence is digital zero or noise. */
export const ONSET_THRESHOLD = 0.01;

/** How long after the onset a half second carrying the tone may start: the first packets of a track can be concealment or a codec ramp, more so on a loaded machine. */
const TONE_SEARCH_SECONDS = 2;

/**
 * Waits until the bot delivers a human's tone of `frequency` (a toneWav as the human's
 * microphone) after `since`: the first frame above the onset threshold (the frames before the
 * human's track are digital silence), then, within TONE_SEARCH_SECONDS of it, half a second that
 * carries the tone, so what was heard is the human and not noise. Throws, saying which, if either
 * never comes.
 */
export async function untilHeardTone(events: RecordingEvents, since: number, frequency: number): Promise<void> {
  const heardAt = () => events.timeline(since).find(([, level]) => level > ONSET_THRESHOLD)?.[0];
  await events.waitFor("the human's tone", () => heardAt() !== undefined, 20_000);
  const onset = heardAt() ?? since;
  const halfSecond = FRAME_SAMPLE_RATE / 2;
  // Half-second windows a quarter second apart, from the onset: the loudest tone among them.
  const loudestTone = () => {
    const samples = events.samples(onset);
    let loudest = 0;
    for (let start = 0; start + halfSecond <= Math.min(samples.length, TONE_SEARCH_SECONDS * FRAME_SAMPLE_RATE); start += halfSecond / 2) {
      loudest = Math.max(loudest, toneAmplitude(samples.subarray(start, start + halfSecond), frequency, FRAME_SAMPLE_RATE));
    }
    return loudest;
  };
  await events.waitFor('half a second of the tone', () => loudestTone() > 0.05 || events.samples(onset).length >= TONE_SEARCH_SECONDS * FRAME_SAMPLE_RATE);
  const amplitude = loudestTone();
  if (!(amplitude > 0.05)) throw new Error(`the bot heard sound but not the ${frequency} Hz tone (amplitude ${amplitude.toFixed(3)})`);
}

/**
 * Human speech onset (its microphone, as captured) → the first non-silent frame at the joiner's
 * onFrame, once per utterance of the looped WAV: the bridge's inbound latency plus the WebRTC path.
 * Only onsets the frames have had `maxLagMs` to follow count (`onsets`); `latencies` has one entry
 * per onset that was followed. Frames are timed as they arrive here, and on a loaded machine they
 * arrive in bursts that shorten the pauses between utterances: a frame onset therefore needs only
 * `frameQuietMs` of quiet before it, where the microphone's needs 300 ms.
 */
export async function speechToFrameLatencies(
  room: HarnessRoom,
  { threshold = ONSET_THRESHOLD, maxLagMs = 1000, frameQuietMs = 150 } = {},
): Promise<{ onsets: number; latencies: number[] }> {
  const lastFrameAt = room.events.frames.at(-1)?.at ?? 0;
  const spoken = onsets(await room.human.spoke(), threshold).filter((at) => at <= lastFrameAt - maxLagMs);
  const framed = onsets(room.events.timeline(), threshold, frameQuietMs);
  return { onsets: spoken.length, latencies: matchOnsets(spoken, framed, maxLagMs) };
}

/**
 * The baseline for both directions: the same WebRTC path between two plain participants, the
 * speaker's microphone onset → audible at the listener (join the listener with `microphone: false`).
 */
export async function speakerToListenerLatencies(speaker: Human, listener: Human, { threshold = ONSET_THRESHOLD, maxLagMs = 1000 } = {}): Promise<number[]> {
  return matchOnsets(onsets(await speaker.spoke(), threshold), onsets(await listener.heard(speaker.name), threshold), maxLagMs);
}

/**
 * Plays `pcm` (PCM16 at `sampleRate`) through the bot and waits until the human hears it:
 * played → audible onset in the human's page, in ms.
 */
export async function playToAudibleLatency(room: HarnessRoom, pcm: Buffer, sampleRate: number, { from = 'AI agent', threshold = ONSET_THRESHOLD, timeoutMs = 5000 } = {}): Promise<number> {
  const playedAt = epochNow();
  room.bot.play(pcm, sampleRate);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const heard = (await room.human.heard(from)).find(([at, level]) => at >= playedAt && level >= threshold);
    if (heard !== undefined) return heard[0] - playedAt;
    if (Date.now() > deadline) throw new Error(`${room.human.name} did not hear ${from} within ${timeoutMs} ms of playing ${pcm.length} bytes`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
