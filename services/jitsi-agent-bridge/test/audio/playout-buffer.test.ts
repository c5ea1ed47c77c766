import { describe, expect, it } from 'vitest';
import { PlayoutBuffer } from '../../src/browser/page/dsp/playout-buffer.js';

const RATE = 16_000;
const QUANTUM = 128;
/** Samples in `ms` at 16 kHz. */
const ms = (milliseconds: number) => (RATE * milliseconds) / 1000;
const chunk = (samples: number, value = 0.5) => new Float32Array(samples).fill(value);

/** Reads `quanta` render quanta; returns them concatenated. */
function pull(buffer: PlayoutBuffer, quanta: number): Float32Array {
  const out = new Float32Array(quanta * QUANTUM);
  const quantum = new Float32Array(QUANTUM);
  for (let index = 0; index < quanta; index += 1) {
    buffer.read(quantum);
    out.set(quantum, index * QUANTUM);
  }
  return out;
}

const firstNonZero = (samples: Float32Array) => samples.findIndex((sample) => sample !== 0);

describe('the playout buffer', () => {
  it('waits for 40 ms before it starts, then plays every sample in order', () => {
    const buffer = new PlayoutBuffer({ sampleRate: RATE });
    buffer.write(Float32Array.from({ length: ms(20) }, (_, index) => (index + 1) / 1000));
    // 20 ms queued: not enough to start (2 quanta = 16 ms, less than the 40 ms it would wait).
    expect(firstNonZero(pull(buffer, 2))).toBe(-1);
    buffer.write(Float32Array.from({ length: ms(20) }, (_, index) => (ms(20) + index + 1) / 1000));
    const out = pull(buffer, 5);
    expect(out[0]).toBeCloseTo(1 / 1000, 6);
    expect(out[ms(40) - 1]).toBeCloseTo(ms(40) / 1000, 6);
    expect(out.slice(ms(40)).every((sample) => sample === 0)).toBe(true);
    expect(buffer.stats()).toMatchObject({ underruns: 0, trimmedMs: 0, queuedMs: 0 });
  });

  it('plays an utterance shorter than the prebuffer once it has waited 40 ms', () => {
    const buffer = new PlayoutBuffer({ sampleRate: RATE });
    buffer.write(chunk(ms(10)));
    const out = pull(buffer, 12);
    const start = firstNonZero(out);
    expect(start).toBeGreaterThanOrEqual(ms(40));
    expect(start).toBeLessThan(ms(40) + QUANTUM);
    expect(out.filter((sample) => sample !== 0)).toHaveLength(ms(10));
    // It ended: that is not an underrun.
    pull(buffer, 60);
    expect(buffer.stats().underruns).toBe(0);
  });

  it('is bounded: never holds more than 100 ms, drops the oldest and counts them', () => {
    const buffer = new PlayoutBuffer({ sampleRate: RATE });
    for (let index = 0; index < 10; index += 1) buffer.write(chunk(ms(20), index / 10));
    expect(buffer.stats().queuedMs).toBe(100);
    expect(buffer.stats().trimmedMs).toBe(100);
    // What is left is the newest 100 ms.
    const out = pull(buffer, Math.ceil(ms(100) / QUANTUM));
    expect(out[0]).toBeCloseTo(0.5, 6);
    expect(out[ms(100) - 1]).toBeCloseTo(0.9, 6);
  });

  it('counts a dry spell inside speech as an underrun and goes back to prebuffering', () => {
    const buffer = new PlayoutBuffer({ sampleRate: RATE });
    buffer.write(chunk(ms(40)));
    pull(buffer, Math.ceil(ms(60) / QUANTUM));
    buffer.write(chunk(ms(20)));
    expect(buffer.stats().underruns).toBe(1);
    // 20 ms is less than the prebuffer: silence until it has waited 40 ms.
    expect(firstNonZero(pull(buffer, 4))).toBe(-1);
  });

  it('drops everything on flush: the very next quantum is silent', () => {
    const buffer = new PlayoutBuffer({ sampleRate: RATE });
    buffer.write(chunk(ms(80)));
    expect(firstNonZero(pull(buffer, 1))).toBe(0);
    buffer.flush();
    expect(buffer.stats().queuedMs).toBe(0);
    expect(firstNonZero(pull(buffer, 20))).toBe(-1);
    // Audio after the flush starts afresh (prebuffer), and the flush was no underrun.
    buffer.write(chunk(ms(40)));
    expect(firstNonZero(pull(buffer, 1))).toBe(0);
    expect(buffer.stats().underruns).toBe(0);
  });

  describe('between two clocks that disagree', () => {
    /**
     * Node sends 20 ms chunks by its clock; the audio clock pulls 128-sample quanta. `ratio` is
     * Node's clock against the audio clock (1.01: Node runs 1 % fast). One minute of speech.
     */
    function drift(ratio: number) {
      const buffer = new PlayoutBuffer({ sampleRate: RATE });
      let nodeTime = 0;
      let maxQueued = 0;
      let played = 0;
      const quantum = new Float32Array(QUANTUM);
      for (let audioSamples = 0; audioSamples < RATE * 60; audioSamples += QUANTUM) {
        while (nodeTime <= (audioSamples / RATE) * 1000 * ratio) {
          buffer.write(chunk(ms(20)));
          nodeTime += 20;
        }
        buffer.read(quantum);
        played += quantum.filter((sample) => sample !== 0).length;
        maxQueued = Math.max(maxQueued, buffer.stats().queuedMs);
      }
      return { ...buffer.stats(), maxQueued, playedMs: (played * 1000) / RATE };
    }

    it('keeps latency bounded when Node runs ahead (trims what the audio clock cannot play)', () => {
      const result = drift(1.01);
      expect(result.maxQueued).toBeLessThanOrEqual(100);
      // 1 % of a minute arrives too much: ~600 ms, trimmed once the bound is reached.
      expect(result.trimmedMs).toBeGreaterThan(400);
      expect(result.trimmedMs).toBeLessThan(700);
      expect(result.underruns).toBe(0);
    });

    it('reports underruns when Node falls behind, and plays all it got', () => {
      const result = drift(0.99);
      expect(result.underruns).toBeGreaterThan(0);
      expect(result.trimmedMs).toBe(0);
      expect(result.playedMs).toBeGreaterThan(59_000 * 0.99 - 100);
    });

    it('neither trims nor underruns when they agree', () => {
      expect(drift(1)).toMatchObject({ underruns: 0, trimmedMs: 0 });
    });
  });

  it('refuses a prebuffer that does not fit under the bound', () => {
    expect(() => new PlayoutBuffer({ sampleRate: RATE, prebufferMs: 100, maxQueuedMs: 100 })).toThrow('the prebuffer (100 ms) must be shorter than the bound (100 ms)');
  });
});
