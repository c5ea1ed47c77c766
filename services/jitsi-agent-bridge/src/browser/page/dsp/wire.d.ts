// Types of wire.js for the Node side (the page loads the .js as-is).
export const PLAYBACK_HEADER_BYTES: number;
export function encodePlaybackChunk(pcm: Uint8Array, sampleRate: number): Uint8Array;
export function decodePlaybackChunk(message: ArrayBuffer): { sampleRate: number; pcm: Uint8Array };
export const CAPTURE_TIME_BYTES: number;
export function encodeRoomFrame(frame: ArrayBuffer, capturedAtEpochMs: number): Uint8Array;
export function decodeRoomFrame(message: Uint8Array): { pcm: Uint8Array; capturedAtEpochMs: number };
