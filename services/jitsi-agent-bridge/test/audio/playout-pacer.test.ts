import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PlayoutPacer } from '../../src/browser/playout-pacer.ts';

/** PCM16 of `ms` milliseconds at `rate`, each sample its index (to check order). */
function pcm(ms: number, rate = 16_000): Buffer {
  const samples = Math.round((rate * ms) / 1000);
  const buffer = Buffer.alloc(samples * 2);
  for (let index = 0; index < samples; index += 1) buffer.writeInt16LE(index % 30_000, index * 2);
  return buffer;
}

describe('pacing the agent speech into the page', () => {
  let sent: Array<{ at: number; bytes: number; rate: number; first: number }>;
  let pacer: PlayoutPacer;
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    sent = [];
    pacer = new PlayoutPacer({ now: () => Date.now(), send: (chunk, rate) => sent.push({ at: Date.now(), bytes: chunk.length, rate, first: chunk.readInt16LE(0) }) });
  });
  afterEach(() => {
    pacer.close();
    vi.useRealTimers();
  });

  it('sends 60 ms at once (the page starts at 40), then 20 ms every 20 ms, in order', () => {
    pacer.enqueue(pcm(1000), 16_000);
    expect(sent.map(({ at }) => at)).toEqual([0, 0, 0]);
    vi.advanceTimersByTime(200);
    expect(sent).toHaveLength(13);
    expect(sent.every(({ bytes }) => bytes === 640)).toBe(true);
    expect(sent.map(({ first }) => first)).toEqual(sent.map((_, index) => index * 320));
    expect(pacer.queuedMs()).toBeCloseTo(1000 - 13 * 20, 6);
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(50);
    expect(pacer.queuedMs()).toBe(0);
  });

  it('forwards frames that arrive in real time as they come', () => {
    for (let index = 0; index < 10; index += 1) {
      pacer.enqueue(pcm(20), 16_000);
      expect(sent).toHaveLength(index + 1);
      vi.advanceTimersByTime(20);
    }
  });

  it('cuts 20 ms chunks at the segment’s own rate', () => {
    pacer.enqueue(pcm(100, 22_050), 22_050);
    pacer.enqueue(pcm(40, 24_000), 24_000);
    vi.advanceTimersByTime(1000);
    expect(sent.map(({ bytes, rate }) => [bytes, rate])).toEqual([
      [882, 22_050],
      [882, 22_050],
      [882, 22_050],
      [882, 22_050],
      [882, 22_050],
      [960, 24_000],
      [960, 24_000],
    ]);
  });

  it('drops what it holds on flush and starts afresh', () => {
    pacer.enqueue(pcm(1000), 16_000);
    vi.advanceTimersByTime(100);
    const before = sent.length;
    pacer.flush();
    expect(pacer.queuedMs()).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(before);
    pacer.enqueue(pcm(100), 16_000);
    expect(sent.slice(before).map(({ first }) => first)).toEqual([0, 320, 640]);
  });

  it('restarts its schedule after a stall instead of bursting to catch up', () => {
    pacer.enqueue(pcm(2000), 16_000);
    vi.advanceTimersByTime(100);
    const before = sent.length;
    // The event loop stalls for 500 ms (the page ran dry meanwhile).
    vi.setSystemTime(Date.now() + 500);
    vi.advanceTimersByTime(1);
    expect(sent.length - before).toBeLessThanOrEqual(3);
  });

  it('holds at most a minute, dropping the oldest and counting it', () => {
    const bounded = new PlayoutPacer({ now: () => Date.now(), send: () => undefined, maxQueuedMs: 500 });
    bounded.enqueue(pcm(400), 16_000);
    bounded.enqueue(pcm(400), 16_000);
    expect(bounded.queuedMs()).toBeCloseTo(500, 6);
    // 60 ms went out at once; of the 740 ms left, 240 were over the bound.
    expect(bounded.trimmedMs()).toBeCloseTo(240, 6);
    bounded.close();
  });

  it('refuses a sample rate it cannot mean and ignores a lone odd byte', () => {
    expect(() => pacer.enqueue(pcm(20), 0)).toThrow("TEN's audio sample rate must be a whole number of Hz from 1000 to 384000, got 0");
    pacer.enqueue(Buffer.alloc(1), 16_000);
    expect(sent).toHaveLength(0);
  });
});
