// @ts-check
/**
 * The agent's speech from Node to the bot page, one binary websocket message per chunk:
 * a 4-byte little-endian sample rate (TEN's `metadata.sample_rate`), then PCM16 little-endian
 * mono. The room's audio goes the other way as 640-byte frames, each followed by its capture
 * time (encodeRoomFrame); one socket per room, so the socket itself says which room.
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

/** Bytes after a room frame's PCM: when the page captured it, epoch ms as a little-endian float64. */
export const CAPTURE_TIME_BYTES = 8;

/**
 * One frame of the room's audio from the page to Node: the PCM16 frame, then the page's capture
 * time (performance.timeOrigin + performance.now(), which Node's clock on this machine shares),
 * so Node can tell how long the frame spent inside the bridge.
 * @param {ArrayBuffer} frame
 * @param {number} capturedAtEpochMs
 * @returns {Uint8Array}
 */
export function encodeRoomFrame(frame, capturedAtEpochMs) {
  const message = new Uint8Array(frame.byteLength + CAPTURE_TIME_BYTES);
  message.set(new Uint8Array(frame), 0);
  new DataView(message.buffer).setFloat64(frame.byteLength, capturedAtEpochMs, true);
  return message;
}

/**
 * @param {Uint8Array} message
 * @returns {{ pcm: Uint8Array, capturedAtEpochMs: number }}
 */
export function decodeRoomFrame(message) {
  if (message.byteLength < CAPTURE_TIME_BYTES) throw new RangeError(`a room frame ends with a ${CAPTURE_TIME_BYTES}-byte capture time, got ${message.byteLength} bytes`);
  const pcmBytes = message.byteLength - CAPTURE_TIME_BYTES;
  const capturedAtEpochMs = new DataView(message.buffer, message.byteOffset, message.byteLength).getFloat64(pcmBytes, true);
  return { pcm: message.subarray(0, pcmBytes), capturedAtEpochMs };
}
