// @ts-check
/**
 * PCM16 (signed 16-bit little-endian) ⇄ Float32 conversion, shared by the page's audio worklet
 * and Node's unit tests. Plain ES module: the bot page loads it as-is, without a bundler.
 */

/**
 * Float samples in [-1, 1] to PCM16, clamped (a mix of several speakers can exceed full scale),
 * rounded to the nearest step. -1 maps to -32768 and 1 to 32767, so silence stays exactly 0.
 * @param {Float32Array} input
 * @param {Int16Array} [output] where to write (same length as input)
 * @returns {Int16Array}
 */
export function floatToPcm16(input, output = new Int16Array(input.length)) {
  for (let index = 0; index < input.length; index += 1) {
    const sample = Math.max(-1, Math.min(1, input[index] ?? 0));
    output[index] = Math.round(sample < 0 ? sample * 32768 : sample * 32767);
  }
  return output;
}

/**
 * PCM16 to floats in [-1, 1).
 * @param {Int16Array} input
 * @param {Float32Array} [output]
 * @returns {Float32Array}
 */
export function pcm16ToFloat(input, output = new Float32Array(input.length)) {
  for (let index = 0; index < input.length; index += 1) output[index] = (input[index] ?? 0) / 32768;
  return output;
}

/**
 * Reads little-endian PCM16 from bytes, whatever the host's byte order and the view's alignment
 * (an Int16Array view would need an even offset and a little-endian host). A trailing odd byte
 * is not a sample and is ignored.
 * @param {Uint8Array} bytes
 * @returns {Int16Array}
 */
export function pcm16FromBytes(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const samples = new Int16Array(bytes.byteLength >> 1);
  for (let index = 0; index < samples.length; index += 1) samples[index] = view.getInt16(index * 2, true);
  return samples;
}

/**
 * PCM16 samples as little-endian bytes.
 * @param {Int16Array} samples
 * @returns {Uint8Array}
 */
export function pcm16ToBytes(samples) {
  const bytes = new Uint8Array(samples.length * 2);
  const view = new DataView(bytes.buffer);
  for (let index = 0; index < samples.length; index += 1) view.setInt16(index * 2, samples[index] ?? 0, true);
  return bytes;
}
