import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Test audio for the bridge's browser tests: speech made with espeak-ng, converted and padded
 * with sox (both Debian packages), and the measurements the tests make on what comes out.
 */

/** A WAV for Chromium's fake microphone and the same audio as 16 kHz floats, for comparison. */
export interface TestWav {
  readonly path: string;
  /** The file's audio at 16 kHz mono (what the bot should hear), -1..1. */
  readonly samples16k: Float32Array;
  readonly durationMs: number;
  /** Deletes the file and its folder. */
  remove(): Promise<void>;
}

/**
 * Speech preceded and followed by silence (Chromium's fake capture loops the file, so each pass
 * is one utterance with a clear onset). 44.1 kHz mono: the rate Chromium's fake capture runs at.
 */
export async function speechWav(text: string, { leadMs = 600, tailMs = 900 } = {}): Promise<TestWav> {
  const espeak = await run('espeak-ng', ['-v', 'en-us', '-s', '160', '--stdout', text]);
  return soxWav(espeak, ['-t', 'wav', '-'], ['pad', `${leadMs / 1000}`, `${tailMs / 1000}`]);
}

/** A sine tone (for level measurements through a real path). */
export async function toneWav(frequency: number, { seconds = 2, amplitude = 0.5 } = {}): Promise<TestWav> {
  return soxWav(Buffer.alloc(0), ['-n'], ['synth', `${seconds}`, 'sine', `${frequency}`, 'vol', `${amplitude}`]);
}

async function soxWav(input: Buffer, source: string[], effects: string[]): Promise<TestWav> {
  const dir = await mkdtemp(join(tmpdir(), 'bridge-audio-'));
  const path = join(dir, 'audio.wav');
  await run('sox', ['-q', ...source, '-r', '44100', '-c', '1', '-b', '16', path, ...effects], input);
  const raw = await run('sox', ['-q', path, '-t', 'raw', '-r', '16000', '-c', '1', '-b', '16', '-e', 'signed-integer', '-L', '-']);
  const samples16k = new Float32Array(raw.length / 2);
  for (let index = 0; index < samples16k.length; index += 1) samples16k[index] = raw.readInt16LE(index * 2) / 32768;
  return { path, samples16k, durationMs: (samples16k.length / 16) | 0, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs a tool (espeak-ng, sox) with `input` on stdin; resolves with its stdout. */
export function run(command: string, args: string[], input: Buffer = Buffer.alloc(0)): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += String(chunk)));
    child.on('error', (error) => reject(new Error(`could not run ${command} (is it installed?): ${error.message}`)));
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`${command} exited with ${code}: ${err.trim()}`))));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** PCM16 little-endian bytes to floats. */
export function pcm16ToFloats(pcm: Buffer): Float32Array {
  const samples = new Float32Array(pcm.length >> 1);
  for (let index = 0; index < samples.length; index += 1) samples[index] = pcm.readInt16LE(index * 2) / 32768;
  return samples;
}

export function rms(samples: Float32Array, from = 0, to = samples.length): number {
  let sum = 0;
  for (let index = from; index < to; index += 1) sum += (samples[index] ?? 0) ** 2;
  return Math.sqrt(sum / Math.max(1, to - from));
}

export function decibels(ratio: number): number {
  return 20 * Math.log10(ratio);
}

/** Energy envelope: RMS of consecutive blocks of `block` samples (320 = one 20 ms frame at 16 kHz). */
export function envelope(samples: Float32Array, block = 320): Float32Array {
  const out = new Float32Array(Math.floor(samples.length / block));
  for (let index = 0; index < out.length; index += 1) out[index] = rms(samples, index * block, (index + 1) * block);
  return out;
}

/** The normalised (Pearson) correlation of x(0…n−1) with y(0…n−1): 1 = same shape, 0 = unrelated. */
function correlation(n: number, x: (index: number) => number, y: (index: number) => number): number {
  let meanX = 0;
  let meanY = 0;
  for (let index = 0; index < n; index += 1) {
    meanX += x(index);
    meanY += y(index);
  }
  meanX /= n;
  meanY /= n;
  let cross = 0;
  let a = 0;
  let b = 0;
  for (let index = 0; index < n; index += 1) {
    const dx = x(index) - meanX;
    const dy = y(index) - meanY;
    cross += dx * dy;
    a += dx * dx;
    b += dy * dy;
  }
  return cross / Math.sqrt(a * b || 1);
}

/**
 * The best normalised correlation of `signal` with the periodic `period` (a looped WAV's
 * envelope) over every circular lag: 1 = same shape, 0 = unrelated.
 */
export function bestCircularCorrelation(signal: Float32Array, period: Float32Array): { correlation: number; lag: number } {
  let best = { correlation: -1, lag: 0 };
  for (let lag = 0; lag < period.length; lag += 1) {
    const value = correlation(signal.length, (index) => signal[index] ?? 0, (index) => period[(index + lag) % period.length] ?? 0);
    if (value > best.correlation) best = { correlation: value, lag };
  }
  return best;
}

/**
 * The amplitude of one frequency in a block (Goertzel), as the amplitude of a sine: a full-scale
 * sine reads 1.
 */
export function toneAmplitude(samples: Float32Array, frequency: number, sampleRate: number): number {
  const omega = (2 * Math.PI * frequency) / sampleRate;
  const coefficient = 2 * Math.cos(omega);
  let previous = 0;
  let beforePrevious = 0;
  // A Hann window keeps leakage from a strong neighbour out of a weak bin.
  for (let index = 0; index < samples.length; index += 1) {
    const window = 0.5 - 0.5 * Math.cos((2 * Math.PI * index) / (samples.length - 1));
    const value = (samples[index] ?? 0) * window + coefficient * previous - beforePrevious;
    beforePrevious = previous;
    previous = value;
  }
  const power = previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious;
  return (2 * Math.sqrt(Math.max(0, power))) / (samples.length * 0.5);
}

/** [time ms, rms, …] points in time order (the human page adds the loudest frequency). */
export type Timeline = ReadonlyArray<readonly [number, number, ...(number | undefined)[]]>;

/**
 * Onsets in an energy timeline: the first sample above `threshold` after at least `quietMs` below it.
 */
export function onsets(timeline: Timeline, threshold: number, quietMs = 300): number[] {
  const found: number[] = [];
  let quietSince: number | undefined = timeline[0]?.[0];
  for (const [at, level] of timeline) {
    if (level < threshold) quietSince ??= at;
    else {
      if (quietSince !== undefined && at - quietSince >= quietMs) found.push(at);
      quietSince = undefined;
    }
  }
  return found;
}

/**
 * Pairs each source onset with the first sink onset within `maxLagMs` after it: the latencies.
 */
export function matchOnsets(source: readonly number[], sink: readonly number[], maxLagMs = 1000): number[] {
  const latencies: number[] = [];
  for (const at of source) {
    const next = sink.find((candidate) => candidate >= at && candidate - at <= maxLagMs);
    if (next !== undefined) latencies.push(next - at);
  }
  return latencies;
}

/** A timeline's energy in `binMs` bins from `from` (ms): the RMS of the points in each bin, 0 where none. */
export function binned(timeline: Timeline, from: number, to: number, binMs = 20): Float32Array {
  const sums = new Float64Array(Math.max(0, Math.floor((to - from) / binMs)));
  const counts = new Uint32Array(sums.length);
  for (const [at, level] of timeline) {
    const bin = Math.floor((at - from) / binMs);
    if (bin < 0 || bin >= sums.length) continue;
    sums[bin] = (sums[bin] ?? 0) + level * level;
    counts[bin] = (counts[bin] ?? 0) + 1;
  }
  return Float32Array.from(sums, (sum, bin) => Math.sqrt(sum / Math.max(1, counts[bin] ?? 0)));
}

/**
 * The best normalised correlation of `later` with `earlier` delayed by 0 to `maxLag` bins: how
 * well one signal follows the other, whatever the delay between them.
 */
export function bestLaggedCorrelation(earlier: Float32Array, later: Float32Array, maxLag: number): { correlation: number; lag: number } {
  let best = { correlation: -1, lag: 0 };
  for (let lag = 0; lag <= maxLag; lag += 1) {
    const n = Math.min(earlier.length, later.length - lag);
    if (n < 10) break;
    const value = correlation(n, (index) => earlier[index] ?? 0, (index) => later[index + lag] ?? 0);
    if (value > best.correlation) best = { correlation: value, lag };
  }
  return best;
}
