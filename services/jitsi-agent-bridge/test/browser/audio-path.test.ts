import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epochNow, type EnergyTimeline, ONSET_THRESHOLD, playToAudibleLatency, speechToFrameLatencies, startBridgeHarness, type BridgeHarness, type HarnessRoom } from '../helpers/browser-harness.ts';
import { bestCircularCorrelation, envelope, onsets, speechWav, type TestWav } from '../standin-jitsi/test-audio.ts';

/**
 * The audio path in real Chromium with real WebRTC: a human page whose microphone is an espeak
 * WAV, the bot's page, the stand-in jitsi-web between them. What the bot hears must follow the
 * WAV; what the bot plays must be heard, with its timing; a flush must silence the bot.
 */
const VERBOSE = process.env['BRIDGE_TEST_VERBOSE'] !== undefined;

let speech: TestWav;
let harness: BridgeHarness;
let room: HarnessRoom;

beforeAll(async () => {
  speech = await speechWav('Where is my order? It should have arrived on Tuesday.');
  harness = await startBridgeHarness({ wav: speech.path });
  room = harness.rooms[0]!;
});

afterAll(async () => {
  await harness?.close();
  await speech?.remove();
});

/** Tones as PCM16 at `rate`: one burst of `onMs` per frequency, each followed by `offMs` of silence. */
function bursts(frequencies: number[], onMs: number, offMs: number, rate = 16_000, amplitude = 0.3): Buffer {
  const period = Math.round((rate * (onMs + offMs)) / 1000);
  const on = Math.round((rate * onMs) / 1000);
  const pcm = Buffer.alloc(period * frequencies.length * 2);
  for (let index = 0; index < period * frequencies.length; index += 1) {
    const frequency = frequencies[Math.floor(index / period)] ?? 0;
    const value = index % period < on ? amplitude * Math.sin((2 * Math.PI * frequency * index) / rate) : 0;
    pcm.writeInt16LE(Math.round(value * 32767), index * 2);
  }
  return pcm;
}

/** The loudest frequencies of a timeline's audible points, in order, each run of one frequency once. */
function toneSequence(timeline: EnergyTimeline, bins: number[]): number[] {
  const sequence: number[] = [];
  for (const [, level, hz] of timeline) {
    if (level < ONSET_THRESHOLD || hz === undefined) continue;
    const nearest = bins.reduce((best, bin) => (Math.abs(bin - hz) < Math.abs(best - hz) ? bin : best));
    if (Math.abs(nearest - hz) > 150) continue;
    if (sequence.at(-1) !== nearest) sequence.push(nearest);
  }
  return sequence;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the room to TEN: what the bot hears', () => {
  it('follows the human’s speech: what it hears has the WAV’s energy envelope', async () => {
    const since = epochNow();
    const passes = 2;
    await room.events.waitFor('two passes of the WAV in frames', (events) => (events.frames.at(-1)?.at ?? 0) - since > speech.durationMs * passes + 500, speech.durationMs * passes + 15_000);
    // Each pass of the looped WAV against the WAV, in 100 ms blocks, at the best circular lag.
    // A loaded machine warps time a little (jitter buffer, lost frames, late timers): measured
    // 0.93–0.99 on a quiet machine, 0.73–0.97 with the other browser suites running; speech the
    // bot does not hear, or noise, is near 0.
    const samples = room.events.samples(since);
    const wav = envelope(speech.samples16k, 1600);
    const perPass = Array.from({ length: passes }, (_, pass) => {
      const start = pass * speech.samples16k.length;
      return bestCircularCorrelation(envelope(samples.subarray(start, start + speech.samples16k.length), 1600), wav).correlation;
    });
    if (VERBOSE) console.log(`bot vs WAV envelope, per pass: ${perPass.map((value) => value.toFixed(3)).join(', ')}`);
    expect(Math.max(...perPass)).toBeGreaterThan(0.6);
  });

  it('measures the room: about 50 frames a second, the audio clock at about wall speed, once it has a full window', async () => {
    const bot = room.bot as typeof room.bot & { settled(): boolean };
    await room.events.waitFor('a full meter window', () => bot.settled(), 20_000);
    const stats = room.bot.stats();
    if (VERBOSE) console.log(`stats ${JSON.stringify(stats)}`);
    // Sanity of the measurement, not a performance bound: on a loaded machine the audio clock
    // really does slip (1 % measured with the other browser suites running), which is what
    // admission control looks for.
    expect(stats.framesPerSecond).toBeGreaterThan(45);
    expect(stats.framesPerSecond).toBeLessThan(55);
    expect(Math.abs(stats.audioClockRatio - 1)).toBeLessThan(0.05);
  });

  it('gives every utterance onset of the human a frame onset after it', async () => {
    const { onsets: spoken, latencies } = await speechToFrameLatencies(room);
    if (VERBOSE) console.log(`${spoken} speech onsets → first non-silent frame: ${latencies.map((ms) => ms.toFixed(0)).join(', ')} ms`);
    expect(spoken).toBeGreaterThanOrEqual(2);
    // One may be lost to a loaded machine's timing (measured 3 of 5 once, with the onsets still
    // too recent for their frames counted and 300 ms of quiet asked of the frames as well).
    expect(latencies.length).toBeGreaterThanOrEqual(spoken - 1);
    expect(latencies.every((ms) => ms >= 0)).toBe(true);
  });
});

describe('TEN to the room: what the human hears', () => {
  it('hears what the bot plays, in the order it was played, and nothing before', async () => {
    await room.human.clear();
    await sleep(300);
    const playedAt = epochNow();
    room.bot.play(bursts([500, 1000, 2000], 300, 300), 16_000);
    await sleep(2500);
    const heard = await room.human.heard('AI agent');
    expect(heard.filter(([at, level]) => at < playedAt && level >= ONSET_THRESHOLD)).toEqual([]);
    const after = heard.filter(([at]) => at >= playedAt);
    if (VERBOSE) console.log(`tone onsets after play: ${onsets(after, ONSET_THRESHOLD, 150).map((at) => (at - playedAt).toFixed(0)).join(', ')} ms`);
    expect(toneSequence(after, [500, 1000, 2000])).toEqual([500, 1000, 2000]);
  });

  it.each([24_000, 8_000])('honours TEN’s sample rate: a 1 kHz tone sent as %i Hz PCM is heard at 1 kHz', async (rate) => {
    await room.human.clear();
    const playedAt = epochNow();
    room.bot.play(bursts([1000], 500, 100, rate), rate);
    await sleep(1500);
    const peaks = (await room.human.heard('AI agent')).filter(([at, level]) => at >= playedAt && level >= ONSET_THRESHOLD).map(([, , hz]) => hz ?? 0);
    peaks.sort((a, b) => a - b);
    // The analyser's bins are 94 Hz wide; read at the wrong rate, the tone would be at 667 Hz or 1.5 kHz (or 2 kHz).
    expect(peaks.length).toBeGreaterThan(20);
    expect(Math.abs((peaks[Math.floor(peaks.length / 2)] ?? 0) - 1000)).toBeLessThan(100);
  });

  it('falls silent after flush: the bot’s microphone within 100 ms, the human a path’s delay later', async () => {
    const frame = await harness.joiner.frameOf(room.room);
    if (frame === undefined) throw new Error('the bot has no frame');
    // A meter on the bot's own microphone (the stream published into the room), in the bot's page.
    await frame.evaluate(() => {
      const scope = globalThis as unknown as { agentBridgeRoom: { audio: { context: BaseContext; outputStream: unknown } }; botMeter?: Array<[number, number]> };
      interface BaseContext {
        createMediaStreamSource(stream: unknown): { connect(node: unknown): void };
        createAnalyser(): { fftSize: number; getFloatTimeDomainData(buffer: Float32Array): void };
      }
      const { context, outputStream } = scope.agentBridgeRoom.audio;
      const analyser = context.createAnalyser();
      analyser.fftSize = 128;
      context.createMediaStreamSource(outputStream).connect(analyser);
      const buffer = new Float32Array(128);
      const samples: Array<[number, number]> = [];
      scope.botMeter = samples;
      setInterval(() => {
        analyser.getFloatTimeDomainData(buffer);
        let sum = 0;
        for (const sample of buffer) sum += sample * sample;
        samples.push([performance.timeOrigin + performance.now(), Math.sqrt(sum / buffer.length)]);
      }, 5);
    });
    await room.human.clear();
    const onsetLatency = await playToAudibleLatency(room, bursts([1000], 3000, 0), 16_000);
    await sleep(400);
    const flushedAt = epochNow();
    room.bot.flush();
    await sleep(1000);
    const lastAbove = (timeline: EnergyTimeline) => Math.max(flushedAt, ...timeline.filter(([at, level]) => at >= flushedAt && level >= ONSET_THRESHOLD).map(([at]) => at));
    const { botMeter, pageFlushedAt } = await frame.evaluate(() => {
      const scope = globalThis as unknown as { botMeter: Array<[number, number]>; agentBridgeRoom: { flushedAt: number } };
      return { botMeter: scope.botMeter, pageFlushedAt: scope.agentBridgeRoom.flushedAt };
    });
    // From the moment the flush reached the bot's page (delivery from Node is the event loops'
    // business, and slow on a loaded machine).
    const botSilentAfter = Math.max(pageFlushedAt, ...botMeter.filter(([at, level]) => at >= pageFlushedAt && level >= ONSET_THRESHOLD).map(([at]) => at)) - pageFlushedAt;
    const humanSilentAfter = lastAbove(await room.human.heard('AI agent')) - flushedAt;
    if (VERBOSE) console.log(`play → audible ${onsetLatency.toFixed(0)} ms; flush → in the page ${(pageFlushedAt - flushedAt).toFixed(0)} ms, then bot silent ${botSilentAfter.toFixed(0)} ms; human silent ${humanSilentAfter.toFixed(0)} ms after flush()`);
    // The page's part: the bot's microphone is silent within 100 ms of the flush (the worklet
    // drops the buffer before its next 8 ms quantum; the meter adds its own small delay).
    expect(botSilentAfter).toBeLessThan(100);
    // What was already in WebRTC's jitter buffer still arrives (its depth is the receiver's, and
    // grows on a loaded machine); the ~2.3 s still queued at the flush never does.
    expect(humanSilentAfter).toBeLessThan(1000);
    expect(room.bot.stats().queuedPlayoutMs).toBe(0);
  });
});
