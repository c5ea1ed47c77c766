// Types of framer.js for the Node side (the page loads the .js as-is).
export class Framer {
  constructor(frameSamples: number, onFrame: (frame: Int16Array) => void);
  readonly frameSamples: number;
  push(block: Float32Array | undefined, silentLength?: number): void;
}
