// Types of playout-buffer.js for the Node side (the page loads the .js as-is).
export interface PlayoutBufferOptions {
  readonly sampleRate: number;
  /** @default 100 */
  readonly maxQueuedMs?: number;
  /** @default 40 */
  readonly prebufferMs?: number;
  /** @default 200 */
  readonly underrunGapMs?: number;
}

export interface PlayoutBufferStats {
  readonly queuedMs: number;
  readonly underruns: number;
  readonly trimmedMs: number;
  readonly playing: boolean;
}

export class PlayoutBuffer {
  constructor(options: PlayoutBufferOptions);
  readonly sampleRate: number;
  write(samples: Float32Array): void;
  read(out: Float32Array): void;
  flush(): void;
  stats(): PlayoutBufferStats;
}
