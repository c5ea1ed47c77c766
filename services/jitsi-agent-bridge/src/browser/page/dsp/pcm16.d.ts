// Types of pcm16.js for the Node side (the page loads the .js as-is).
export function floatToPcm16(input: Float32Array, output?: Int16Array): Int16Array;
export function pcm16ToFloat(input: Int16Array, output?: Float32Array): Float32Array;
export function pcm16FromBytes(bytes: Uint8Array): Int16Array;
export function pcm16ToBytes(samples: Int16Array): Uint8Array;
