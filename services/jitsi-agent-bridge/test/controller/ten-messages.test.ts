import { describe, expect, it } from 'vitest';
import { encodeAudioFrame, parseTenMessage } from '../../src/ten-messages.ts';
import { isSpeech } from '../../src/pcm-level.ts';
import { FRAME_BYTES } from '../../src/room-joiner.ts';

/** websocket_server's messages both ways, as Python's json.dumps writes them. */

const pcm = (samples: number[]) => {
  const buffer = Buffer.alloc(samples.length * 2);
  samples.forEach((sample, index) => buffer.writeInt16LE(sample, index * 2));
  return buffer;
};

describe('PCM16 frames to TEN', () => {
  it('is {"audio": base64 of the little-endian samples}, nothing else', () => {
    const frame = pcm([0, 1, -1, 32767, -32768]);
    expect(encodeAudioFrame(frame)).toBe('{"audio":"AAABAP///38AgA=="}');
    expect(Buffer.from((JSON.parse(encodeAudioFrame(frame)) as { audio: string }).audio, 'base64')).toEqual(frame);
  });

  it('a 20 ms frame is 640 bytes, 856 characters of base64', () => {
    const message = JSON.parse(encodeAudioFrame(Buffer.alloc(FRAME_BYTES))) as { audio: string };
    expect(message.audio).toHaveLength(856);
  });
});

describe("TEN's messages", () => {
  it('audio: the PCM and metadata.sample_rate', () => {
    const samples = pcm([100, -100, 200]);
    const text = `{"type": "audio", "audio": "${samples.toString('base64')}", "metadata": {"sample_rate": 24000, "channels": 1, "bytes_per_sample": 2, "samples_per_channel": 3}}`;
    expect(parseTenMessage(text)).toEqual({ kind: 'audio', pcm: samples, sampleRate: 24000 });
  });

  it('audio without a usable sample rate is websocket_server default, 16 kHz; an odd trailing byte is dropped', () => {
    const odd = Buffer.from([1, 0, 2, 0, 3]);
    expect(parseTenMessage(`{"type": "audio", "audio": "${odd.toString('base64')}"}`)).toEqual({ kind: 'audio', pcm: Buffer.from([1, 0, 2, 0]), sampleRate: 16000 });
    expect(parseTenMessage(`{"type": "audio", "audio": "", "metadata": {"sample_rate": "fast"}}`)).toMatchObject({ sampleRate: 16000 });
  });

  it('cmd flush is barge-in; other cmds are not for the bridge', () => {
    expect(parseTenMessage('{"type": "cmd", "name": "flush", "data": {"_ten": {"type": "cmd", "name": "flush"}}}')).toEqual({ kind: 'flush' });
    expect(parseTenMessage('{"type": "cmd", "name": "on_user_joined", "data": {}}')).toEqual({ kind: 'ignored', what: 'cmd on_user_joined' });
  });

  it("text_data transcripts, with data as an object or as JSON text", () => {
    const body = { data_type: 'transcribe', role: 'user', text: 'Where is my order?', text_ts: 1, is_final: true, stream_id: 100 };
    const expected = { kind: 'transcript', transcript: { role: 'user', text: 'Where is my order?', final: true } };
    expect(parseTenMessage(JSON.stringify({ type: 'data', name: 'text_data', data: body }))).toEqual(expected);
    expect(parseTenMessage(JSON.stringify({ type: 'data', name: 'text_data', data: JSON.stringify(body) }))).toEqual(expected);
    expect(parseTenMessage(JSON.stringify({ type: 'data', name: 'text_data', data: { ...body, role: 'assistant', is_final: false } }))).toEqual({
      kind: 'transcript',
      transcript: { role: 'assistant', text: 'Where is my order?', final: false },
    });
  });

  it('says what is wrong with anything else', () => {
    expect(parseTenMessage('{"type": "error", "error": "Invalid JSON: x"}')).toEqual({ kind: 'error', error: 'Invalid JSON: x' });
    expect(parseTenMessage('{"type": "data", "name": "text_data", "data": {"data_type": "raw"}}')).toEqual({ kind: 'ignored', what: 'text_data raw' });
    expect(parseTenMessage('{"type": "data", "name": "text_data", "data": "{not json"}')).toEqual({ kind: 'invalid', problem: 'text_data whose data is not JSON' });
    expect(parseTenMessage('{"type": "data", "name": "text_data", "data": {"data_type": "transcribe", "role": "system", "text": "x"}}')).toMatchObject({ kind: 'invalid' });
    expect(parseTenMessage('{"type": "audio"}')).toEqual({ kind: 'invalid', problem: 'audio message without base64 audio' });
    expect(parseTenMessage('{"type": "video"}')).toEqual({ kind: 'invalid', problem: 'unknown type "video"' });
    expect(parseTenMessage('[1]')).toEqual({ kind: 'invalid', problem: 'not a JSON object' });
    expect(parseTenMessage('nope')).toEqual({ kind: 'invalid', problem: 'not JSON' });
  });
});

describe('speech level', () => {
  it('silence and a whisper are not speech; a voice is', () => {
    expect(isSpeech(Buffer.alloc(FRAME_BYTES))).toBe(false);
    // -50 dBFS and -40 dBFS square waves.
    const square = (level: number) => pcm(Array.from({ length: 320 }, (_, index) => (index % 2 === 0 ? 1 : -1) * Math.round(32768 * 10 ** (level / 20))));
    expect(isSpeech(square(-50))).toBe(false);
    expect(isSpeech(square(-40))).toBe(true);
  });
});
