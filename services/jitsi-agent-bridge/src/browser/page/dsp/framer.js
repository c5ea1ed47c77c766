// @ts-check
import { floatToPcm16 } from './pcm16.js';

/**
 * Cuts a stream of float blocks (the audio graph's 128-sample render quanta) into PCM16 frames
 * of a fixed length (320 samples = 20 ms at 16 kHz, what TEN's websocket_server expects). Every
 * frame is a fresh buffer, so the worklet can transfer it to the main thread without copying.
 */
export class Framer {
  /**
   * @param {number} frameSamples samples per frame
   * @param {(frame: Int16Array) => void} onFrame called once per complete frame, in order
   */
  constructor(frameSamples, onFrame) {
    if (!Number.isInteger(frameSamples) || frameSamples <= 0) throw new RangeError(`a frame is a positive whole number of samples, got ${frameSamples}`);
    this.frameSamples = frameSamples;
    this.onFrame = onFrame;
    /** @type {Float32Array} */
    this.pending = new Float32Array(frameSamples);
    this.filled = 0;
  }

  /**
   * Appends samples; emits every frame they complete. An empty block (no input connected) counts
   * as silence of `silentLength` samples, so frames keep coming at the audio clock's pace.
   * @param {Float32Array | undefined} block
   * @param {number} [silentLength]
   */
  push(block, silentLength = 0) {
    const length = block === undefined ? silentLength : block.length;
    let offset = 0;
    while (offset < length) {
      const count = Math.min(length - offset, this.frameSamples - this.filled);
      if (block === undefined) this.pending.fill(0, this.filled, this.filled + count);
      else this.pending.set(block.subarray(offset, offset + count), this.filled);
      this.filled += count;
      offset += count;
      if (this.filled === this.frameSamples) {
        this.onFrame(floatToPcm16(this.pending));
        this.filled = 0;
      }
    }
  }
}
