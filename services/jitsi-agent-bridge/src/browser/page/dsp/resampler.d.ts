// Types of resampler.js for the Node side (the page loads the .js as-is).
export class StreamResampler {
  constructor(inputRate: number, outputRate: number, options?: { zeroCrossings?: number; passband?: number });
  readonly inputRate: number;
  readonly outputRate: number;
  reset(): void;
  process(input: Float32Array): Float32Array;
}
