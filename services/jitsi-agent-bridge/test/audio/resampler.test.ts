import { describe, expect, it } from 'vitest';
import { StreamResampler } from '../../src/browser/page/dsp/resampler.js';
import { decibels, rms, toneAmplitude } from '../standin-jitsi/test-audio.ts';

function tone(frequency: number, rate: number, seconds = 1, amplitude = 0.5): Float32Array {
  return Float32Array.from({ length: Math.round(rate * seconds) }, (_, index) => amplitude * Math.sin((2 * Math.PI * frequency * index) / rate));
}

/** Streams `input` through a resampler in chunks of 20 ms of input, as TEN's frames arrive. */
function stream(input: Float32Array, from: number, to: number, chunk = Math.round(from / 50)): Float32Array {
  const resampler = new StreamResampler(from, to);
  const parts: Float32Array[] = [];
  for (let offset = 0; offset < input.length; offset += chunk) parts.push(resampler.process(input.subarray(offset, offset + chunk)));
  const out = new Float32Array(parts.reduce((total, part) => total + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The steady part (after the kernel's lead-in). */
const steady = (samples: Float32Array, rate: number) => samples.subarray(Math.round(rate * 0.05), samples.length - Math.round(rate * 0.05));

describe('playback resampling (TEN speech to the playout context)', () => {
  it('passes equal rates through untouched', () => {
    const input = tone(1000, 16_000, 0.1);
    expect([...stream(input, 16_000, 16_000)]).toEqual([...input]);
  });

  it.each([
    [24_000, 16_000],
    [22_050, 16_000],
    [44_100, 16_000],
    [8_000, 16_000],
    [16_000, 48_000],
    [24_000, 48_000],
  ])('keeps a 1 kHz tone within 0.1 dB from %i Hz to %i Hz, and the duration', (from, to) => {
    const out = stream(tone(1000, from), from, to);
    expect(Math.abs(out.length - to)).toBeLessThan(to * 0.01);
    expect(Math.abs(decibels(toneAmplitude(steady(out, to), 1000, to) / 0.5))).toBeLessThan(0.1);
  });

  it('does not alias what the lower rate cannot carry (a 10 kHz tone at 24 kHz into 16 kHz: ≥ 60 dB down)', () => {
    const out = stream(tone(10_000, 24_000), 24_000, 16_000);
    expect(decibels(rms(steady(out, 16_000)) / (0.5 / Math.SQRT2))).toBeLessThan(-60);
  });

  it('leaves no image when upsampling (a 6 kHz tone at 16 kHz into 48 kHz: its 10 kHz image ≥ 50 dB down)', () => {
    const out = steady(stream(tone(6000, 16_000), 16_000, 48_000), 48_000);
    expect(decibels(toneAmplitude(out, 6000, 48_000) / 0.5)).toBeGreaterThan(-0.5);
    expect(decibels(toneAmplitude(out, 10_000, 48_000) / 0.5)).toBeLessThan(-50);
  });

  it('gives the same output whatever the chunking (state carries across chunks)', () => {
    const input = tone(1234, 22_050, 0.5);
    const whole = stream(input, 22_050, 16_000, input.length);
    const chunked = stream(input, 22_050, 16_000, 97);
    expect(chunked.length).toBe(whole.length);
    for (const [index, sample] of whole.entries()) expect(Math.abs((chunked[index] ?? 0) - sample)).toBeLessThan(1e-6);
  });

  it('forgets the stream on reset (a flush)', () => {
    const resampler = new StreamResampler(24_000, 16_000);
    resampler.process(tone(1000, 24_000, 0.1));
    resampler.reset();
    const afterReset = resampler.process(new Float32Array(480));
    expect(afterReset.every((sample) => sample === 0)).toBe(true);
  });

  it('refuses rates it cannot mean', () => {
    expect(() => new StreamResampler(0, 16_000)).toThrow('the input sample rate must be a whole number of Hz from 1000 to 384000, got 0');
    expect(() => new StreamResampler(16_000, 16_000.5)).toThrow('the output sample rate must be a whole number of Hz from 1000 to 384000, got 16000.5');
  });
});
