// @ts-check
/**
 * The agent's speech from Node to the bot page, one binary websocket message per chunk:
 * a 4-byte little-endian sample rate (TEN's `metadata.sample_rate`), then PCM16 little-endian
 * mono. The room's audio goes the other way as bare 640-byte frames (one socket per room, so the
 * socket itself says which room).
 */

export const PLAYBACK_HEADER_BYTES = 4;

/**
 * @param {Uint8Array} pcm PCM16 little-endian mono
 * @param {number} sampleRate
 * @returns {Uint8Array}
 */
export function encodePlaybackChunk(pcm, sampleRate) {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0 || sampleRate > 0xffffffff) throw new RangeError(`a sample rate is a positive whole number of Hz, got ${sampleRate}`);
  const message = new Uint8Array(PLAYBACK_HEADER_BYTES + pcm.byteLength);
  new DataView(message.buffer).setUint32(0, sampleRate, true);
  message.set(pcm, PLAYBACK_HEADER_BYTES);
  return message;
}

/**
 * @param {ArrayBuffer} message
 * @returns {{ sampleRate: number, pcm: Uint8Array }}
 */
export function decodePlaybackChunk(message) {
  if (message.byteLength < PLAYBACK_HEADER_BYTES) throw new RangeError(`a playback chunk starts with a ${PLAYBACK_HEADER_BYTES}-byte sample rate, got ${message.byteLength} bytes`);
  return { sampleRate: new DataView(message).getUint32(0, true), pcm: new Uint8Array(message, PLAYBACK_HEADER_BYTES) };
}
