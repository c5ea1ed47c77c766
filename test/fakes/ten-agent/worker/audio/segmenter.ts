import { FRAME_BYTES, FRAME_MS, rmsDbfs } from './pcm.ts';

/**
 * Energy-based speech segmentation on the audio as it arrives: speech starts after
 * `onsetMs` of frames above `thresholdDbfs`, and ends once `hangoverMs` of frames stay below it.
 * Time is the audio's own (20 ms per frame received), not the wall clock, so a client that
 * stops sending also stops the clock, as a streaming STT's endpointing does.
 */
export interface SegmenterOptions {
  /** @default -45 */
  readonly thresholdDbfs?: number;
  /** @default 60 */
  readonly onsetMs?: number;
  /** @default 600 */
  readonly hangoverMs?: number;
  /** An interim result this long after onset. @default 240 */
  readonly interimMs?: number;
}

export interface SegmenterEvents {
  onset(): void;
  interim(): void;
  /** `durationMs` counts from onset to the last loud frame. */
  offset(durationMs: number): void;
}

export class EnergySegmenter {
  private carry = Buffer.alloc(0);
  private loudRun = 0;
  private quietRun = 0;
  private inSpeech = false;
  private speechMs = 0;
  private interimSent = false;
  private readonly threshold: number;
  private readonly onsetFrames: number;
  private readonly hangoverFrames: number;
  private readonly interimMs: number;

  constructor(private readonly events: SegmenterEvents, options: SegmenterOptions = {}) {
    this.threshold = options.thresholdDbfs ?? -45;
    this.onsetFrames = Math.ceil((options.onsetMs ?? 60) / FRAME_MS);
    this.hangoverFrames = Math.ceil((options.hangoverMs ?? 600) / FRAME_MS);
    this.interimMs = options.interimMs ?? 240;
  }

  public push(pcm: Buffer): void {
    let buffer = this.carry.length === 0 ? pcm : Buffer.concat([this.carry, pcm]);
    while (buffer.length >= FRAME_BYTES) {
      this.frame(rmsDbfs(buffer.subarray(0, FRAME_BYTES)) > this.threshold);
      buffer = buffer.subarray(FRAME_BYTES);
    }
    this.carry = Buffer.from(buffer);
  }

  private frame(loud: boolean): void {
    if (!this.inSpeech) {
      this.loudRun = loud ? this.loudRun + 1 : 0;
      if (this.loudRun < this.onsetFrames) return;
      this.inSpeech = true;
      this.speechMs = this.loudRun * FRAME_MS;
      this.quietRun = 0;
      this.interimSent = false;
      this.events.onset();
      return;
    }
    this.speechMs += FRAME_MS;
    this.quietRun = loud ? 0 : this.quietRun + 1;
    if (!this.interimSent && this.speechMs >= this.interimMs) {
      this.interimSent = true;
      this.events.interim();
    }
    if (this.quietRun >= this.hangoverFrames) {
      this.inSpeech = false;
      this.loudRun = 0;
      this.events.offset(this.speechMs - this.quietRun * FRAME_MS);
    }
  }
}
