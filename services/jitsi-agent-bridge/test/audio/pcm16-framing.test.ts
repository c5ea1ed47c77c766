import { describe, expect, it } from 'vitest';
import { FRAME_BYTES, FRAME_SAMPLES } from '../../src/room-joiner.ts';
import { Framer } from '../../src/browser/page/dsp/framer.js';
import { floatToPcm16, pcm16FromBytes, pcm16ToBytes, pcm16ToFloat } from '../../src/browser/page/dsp/pcm16.js';
import { decodePlaybackChunk, encodePlaybackChunk } from '../../src/browser/page/dsp/wire.js';

describe('PCM16 conversion', () => {
  it('maps full scale to the PCM16 extremes, clamps beyond it and keeps silence exactly zero', () => {
    expect([...floatToPcm16(Float32Array.from([0, 1, -1, 0.5, -0.5, 1.7, -3, 1e-6]))]).toEqual([0, 32767, -32768, 16384, -16384, 32767, -32768, 0]);
  });

  it('round-trips within one PCM16 step (rounding, and 32767 vs 32768 on the positive side)', () => {
    const input = Float32Array.from({ length: 1000 }, (_, index) => Math.sin(index / 7) * 0.9);
    const back = pcm16ToFloat(floatToPcm16(input));
    for (const [index, sample] of input.entries()) expect(Math.abs((back[index] ?? 0) - sample)).toBeLessThanOrEqual(1.5 / 32768);
  });

  it('reads little-endian bytes whatever the alignment of the view', () => {
    const bytes = Uint8Array.from([0xff, 0x01, 0x80, 0xff, 0x7f, 0x00]);
    // 0x8001 = -32767, 0x7fff = 32767, then a lone byte that is no sample.
    expect([...pcm16FromBytes(bytes.subarray(1))]).toEqual([-32767, 32767]);
    expect([...pcm16FromBytes(pcm16ToBytes(Int16Array.from([-32768, -1, 0, 1, 32767])))]).toEqual([-32768, -1, 0, 1, 32767]);
  });
});

describe('20 ms framing', () => {
  it('cuts 128-sample render quanta into 320-sample PCM16 frames, in order, with nothing lost', () => {
    const frames: Int16Array[] = [];
    const framer = new Framer(FRAME_SAMPLES, (frame) => frames.push(frame));
    const ramp = Float32Array.from({ length: 128 * 25 }, (_, index) => (index % 1000) / 1000);
    for (let offset = 0; offset < ramp.length; offset += 128) framer.push(ramp.subarray(offset, offset + 128));
    expect(frames).toHaveLength(10);
    expect(frames.every((frame) => frame.length === FRAME_SAMPLES)).toBe(true);
    const joined = Int16Array.from(frames.flatMap((frame) => [...frame]));
    expect([...joined]).toEqual([...floatToPcm16(ramp.subarray(0, 3200))]);
    // Each frame is its own buffer (the worklet transfers it).
    expect(new Set(frames.map((frame) => frame.buffer)).size).toBe(10);
  });

  it('keeps frames coming while no input is connected (silence)', () => {
    const frames: Int16Array[] = [];
    const framer = new Framer(FRAME_SAMPLES, (frame) => frames.push(frame));
    framer.push(Float32Array.from({ length: 100 }, () => 0.5));
    for (let quantum = 0; quantum < 5; quantum += 1) framer.push(undefined, 128);
    expect(frames).toHaveLength(2);
    expect(frames[0]?.slice(0, 100).every((sample) => sample === 16384)).toBe(true);
    expect(frames[0]?.slice(100).every((sample) => sample === 0)).toBe(true);
  });

  it('is one 640-byte frame that round-trips through base64 as TEN receives it ({"audio": base64})', () => {
    const frames: Int16Array[] = [];
    new Framer(FRAME_SAMPLES, (frame) => frames.push(frame)).push(Float32Array.from({ length: FRAME_SAMPLES }, (_, index) => Math.sin(index / 3) * 0.3));
    const bytes = Buffer.from(pcm16ToBytes(frames[0] ?? new Int16Array()));
    expect(bytes).toHaveLength(FRAME_BYTES);
    const message = JSON.parse(JSON.stringify({ audio: bytes.toString('base64') })) as { audio: string };
    expect([...pcm16FromBytes(Buffer.from(message.audio, 'base64'))]).toEqual([...(frames[0] ?? [])]);
  });

  it('refuses a frame length that is not a positive whole number', () => {
    expect(() => new Framer(0, () => undefined)).toThrow('a frame is a positive whole number of samples, got 0');
    expect(() => new Framer(2.5, () => undefined)).toThrow('got 2.5');
  });
});

describe('playback chunks to the page', () => {
  it('carry the sample rate ahead of the PCM', () => {
    const pcm = pcm16ToBytes(Int16Array.from([1, -2, 300]));
    const message = encodePlaybackChunk(pcm, 22_050);
    const { sampleRate, pcm: decoded } = decodePlaybackChunk(message.buffer.slice(message.byteOffset, message.byteOffset + message.byteLength) as ArrayBuffer);
    expect(sampleRate).toBe(22_050);
    expect([...pcm16FromBytes(decoded)]).toEqual([1, -2, 300]);
  });

  it('refuse a bad sample rate or a message too short for the header', () => {
    expect(() => encodePlaybackChunk(new Uint8Array(2), 0)).toThrow('a sample rate is a positive whole number of Hz, got 0');
    expect(() => decodePlaybackChunk(new ArrayBuffer(3))).toThrow('a playback chunk starts with a 4-byte sample rate, got 3 bytes');
  });
});
