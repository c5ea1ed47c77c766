import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserRoomJoiner } from '../../src/browser/index.ts';
import type { JoinedRoom } from '../../src/room-joiner.ts';
import { epochNow, RecordingEvents, startBot } from '../helpers/browser-harness.ts';
import { startStandinJitsi, type StandinJitsi } from '../standin-jitsi/server.ts';
import { decibels, rms } from '../standin-jitsi/test-audio.ts';

/**
 * The capture chain the bot uses, measured in real Chromium: a 48 kHz MediaStream (like a
 * decoded WebRTC track) into the room's 16 kHz AudioContext, the mix, the capture worklet, 20 ms
 * PCM16 frames to Node. The tone comes from an OscillatorNode in a 48 kHz context of the bot's
 * own iframe, fed to the same addRemoteStream the TRACK_ADDED handler calls: no Opus in between
 * (Opus band-limits on its own and would hide the resampler's aliasing).
 */
const AMPLITUDE = 0.5;
const ROOM = 'resampling-room';

let standin: StandinJitsi;
let joiner: BrowserRoomJoiner;
let bot: JoinedRoom;
const events = new RecordingEvents();

beforeAll(async () => {
  standin = await startStandinJitsi();
  joiner = await startBot(standin);
  bot = await joiner.join({ room: ROOM, jwt: await standin.mintJwt({ room: ROOM, name: 'AI agent' }), displayName: 'AI agent', sessionId: 'resampling' }, events);
});

afterAll(async () => {
  await bot?.leave();
  await joiner?.close();
  await standin?.close();
});

/**
 * Plays a tone into the capture chain for `seconds`; returns the RMS of what reached Node in its
 * steady part, as the median over 100 ms windows (a glitch of a loaded machine, which splatters
 * energy everywhere, cannot pass for aliasing).
 */
async function captured(frequency: number, seconds = 1.2): Promise<number> {
  const frame = await joiner.frameOf(ROOM);
  if (frame === undefined) throw new Error('the bot has no frame for the room');
  const key = `tone-${frequency}`;
  await frame.evaluate(
    ({ frequency, amplitude, key }) => {
      const room = (globalThis as unknown as { agentBridgeRoom: { audio: { addRemoteStream(key: unknown, stream: unknown): void } } }).agentBridgeRoom;
      const { AudioContext: Context } = globalThis as unknown as { AudioContext: new (options: { sampleRate: number }) => AudioContextLike };
      const context = new Context({ sampleRate: 48_000 });
      const oscillator = context.createOscillator();
      oscillator.frequency.value = frequency;
      const gain = context.createGain();
      gain.gain.value = amplitude;
      const destination = context.createMediaStreamDestination();
      oscillator.connect(gain).connect(destination);
      oscillator.start();
      room.audio.addRemoteStream(key, destination.stream);
      (globalThis as unknown as Record<string, unknown>)[key] = context;

      interface AudioNodeLike {
        connect<T>(node: T): T;
      }
      interface AudioContextLike {
        createOscillator(): AudioNodeLike & { frequency: { value: number }; start(): void };
        createGain(): AudioNodeLike & { gain: { value: number } };
        createMediaStreamDestination(): AudioNodeLike & { stream: unknown };
        close(): Promise<void>;
      }
    },
    { frequency, amplitude: AMPLITUDE, key },
  );
  const started = epochNow();
  await events.waitFor(`${seconds} s of the ${frequency} Hz tone`, (recorded) => (recorded.frames.at(-1)?.at ?? 0) - started >= seconds * 1000, seconds * 1000 + 10_000);
  await frame.evaluate((key) => {
    const scope = globalThis as unknown as Record<string, { close(): Promise<void> }> & { agentBridgeRoom: { audio: { removeRemoteStream(key: unknown): void } } };
    scope.agentBridgeRoom.audio.removeRemoteStream(key);
    return scope[key]?.close();
  }, key);
  // Skip the first 300 ms (the source connecting, the resampler's start).
  const samples = events.samples(started + 300);
  const windows: number[] = [];
  for (let offset = 0; offset + 1600 <= samples.length; offset += 1600) windows.push(rms(samples, offset, offset + 1600));
  windows.sort((a, b) => a - b);
  const median = windows[Math.floor(windows.length / 2)];
  if (median === undefined) throw new Error(`no audio captured for the ${frequency} Hz tone`);
  if (process.env['BRIDGE_TEST_VERBOSE']) console.log(`${frequency} Hz: median RMS ${median} (${decibels(median / (AMPLITUDE / Math.SQRT2)).toFixed(1)} dB re input)`);
  return median;
}

describe('resampling to 16 kHz in the bot page (real Chromium, the actual capture chain)', () => {
  let reference: number;

  it('passes a 1 kHz tone within 1 dB', async () => {
    reference = await captured(1000);
    expect(Math.abs(decibels(reference / (AMPLITUDE / Math.SQRT2)))).toBeLessThan(1);
  });

  it('leaves the alias of a 9 kHz tone (above the 8 kHz Nyquist limit) at least 40 dB down', async () => {
    expect(decibels((await captured(9000)) / reference)).toBeLessThan(-40);
  });

  it('leaves the alias of a 12 kHz tone at least 60 dB down', async () => {
    expect(decibels((await captured(12_000)) / reference)).toBeLessThan(-60);
  });
});
