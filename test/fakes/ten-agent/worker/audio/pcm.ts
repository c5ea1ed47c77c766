/** 16 kHz mono PCM16 little-endian: the websocket_server's format, both ways. */
export const SAMPLE_RATE = 16_000;
export const BYTES_PER_SAMPLE = 2;
/** 20 ms at 16 kHz: the frame size the fake paces speech in. */
export const FRAME_MS = 20;
export const FRAME_BYTES = (SAMPLE_RATE / 1000) * FRAME_MS * BYTES_PER_SAMPLE;

/** Root mean square level of PCM16 samples in dBFS; -Infinity for digital silence. */
export function rmsDbfs(pcm: Buffer): number {
  const samples = Math.floor(pcm.length / BYTES_PER_SAMPLE);
  if (samples === 0) return -Infinity;
  let sum = 0;
  for (let index = 0; index < samples; index += 1) {
    const sample = pcm.readInt16LE(index * BYTES_PER_SAMPLE) / 32768;
    sum += sample * sample;
  }
  return 10 * Math.log10(sum / samples);
}

/** Splits PCM into 20 ms frames; the last one may be shorter. */
export function frames(pcm: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let offset = 0; offset < pcm.length; offset += FRAME_BYTES) out.push(pcm.subarray(offset, Math.min(offset + FRAME_BYTES, pcm.length)));
  return out;
}

/** Duration of PCM in milliseconds. */
export function durationMs(pcm: Buffer): number {
  return (pcm.length / BYTES_PER_SAMPLE / SAMPLE_RATE) * 1000;
}

export function silence(ms: number): Buffer {
  return Buffer.alloc(Math.round((SAMPLE_RATE * ms) / 1000) * BYTES_PER_SAMPLE);
}
