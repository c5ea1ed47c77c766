/**
 * Paces the agent's speech from Node into the bot page. TEN may deliver it in bursts (a TTS that
 * runs ahead of real time) or frame by frame; the page's playout buffer holds at most ~100 ms,
 * so Node keeps the rest and sends 20 ms chunks by its own clock, keeping about `leadMs` ahead
 * of what the page has played (its prebuffer is 40 ms: the first burst starts playback at once).
 *
 * Node's clock and the page's audio clock drift apart; the page trims above its bound when Node
 * runs ahead, and when Node falls behind (a stalled event loop) the schedule restarts from now
 * instead of catching up in a burst.
 */
export interface PlayoutPacerOptions {
  /** Sends one chunk of PCM16 mono at `sampleRate`. */
  readonly send: (pcm: Buffer, sampleRate: number) => void;
  /** @default 60 */
  readonly leadMs?: number;
  /** Audio held in Node beyond this is dropped (oldest first) and counted. @default 60_000 */
  readonly maxQueuedMs?: number;
  /** @default performance.now */
  readonly now?: () => number;
}

interface Segment {
  readonly pcm: Buffer;
  readonly sampleRate: number;
  /** Bytes already sent. */
  offset: number;
}

export class PlayoutPacer {
  private readonly queue: Segment[] = [];
  private readonly leadMs: number;
  private readonly maxQueuedMs: number;
  private readonly now: () => number;
  private startedAt = 0;
  /** Audio sent since `startedAt`, in ms. */
  private sentMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private trimmed = 0;

  private readonly options: PlayoutPacerOptions;

  constructor(options: PlayoutPacerOptions) {
    this.options = options;
    this.leadMs = options.leadMs ?? 60;
    this.maxQueuedMs = options.maxQueuedMs ?? 60_000;
    this.now = options.now ?? (() => performance.now());
  }

  /** Queues PCM16 mono little-endian at `sampleRate`. */
  enqueue(pcm: Buffer, sampleRate: number): void {
    if (!Number.isInteger(sampleRate) || sampleRate < 1000 || sampleRate > 384_000) throw new RangeError(`TEN's audio sample rate must be a whole number of Hz from 1000 to 384000, got ${sampleRate}`);
    const usable = pcm.length - (pcm.length % 2);
    if (usable === 0) return;
    this.queue.push({ pcm: usable === pcm.length ? pcm : pcm.subarray(0, usable), sampleRate, offset: 0 });
    this.enforceBound();
    this.pump();
  }

  /** Barge-in: drops everything not yet sent. */
  flush(): void {
    this.queue.length = 0;
    this.sentMs = 0;
    this.startedAt = this.now();
    this.clearTimer();
  }

  /** Audio still held in Node, in ms. */
  queuedMs(): number {
    return this.queue.reduce((total, segment) => total + durationMs(segment.pcm.length - segment.offset, segment.sampleRate), 0);
  }

  /** Audio dropped beyond the bound since the start, in ms. */
  trimmedMs(): number {
    return this.trimmed;
  }

  close(): void {
    this.queue.length = 0;
    this.clearTimer();
  }

  private pump(): void {
    this.clearTimer();
    const now = this.now();
    // What the page holds, by Node's clock; below zero it has run dry: start over from now.
    if (this.sentMs - (now - this.startedAt) < 0) {
      this.startedAt = now;
      this.sentMs = 0;
    }
    while (this.queue.length > 0 && this.sentMs - (now - this.startedAt) < this.leadMs) this.sendChunk();
    if (this.queue.length > 0) {
      const due = this.startedAt + this.sentMs - this.leadMs;
      this.timer = setTimeout(() => this.pump(), Math.max(1, due - now));
    }
  }

  private sendChunk(): void {
    const segment = this.queue[0];
    if (segment === undefined) return;
    // 20 ms at the segment's rate (rounded for rates that are not a multiple of 50 Hz).
    const bytes = Math.min(Math.round(segment.sampleRate / 50) * 2, segment.pcm.length - segment.offset);
    const chunk = segment.pcm.subarray(segment.offset, segment.offset + bytes);
    segment.offset += bytes;
    if (segment.offset >= segment.pcm.length) this.queue.shift();
    this.sentMs += durationMs(bytes, segment.sampleRate);
    this.options.send(chunk, segment.sampleRate);
  }

  private enforceBound(): void {
    let excess = this.queuedMs() - this.maxQueuedMs;
    while (excess > 0) {
      const segment = this.queue[0];
      if (segment === undefined) return;
      const remainingMs = durationMs(segment.pcm.length - segment.offset, segment.sampleRate);
      if (remainingMs <= excess) {
        this.queue.shift();
        this.trimmed += remainingMs;
        excess -= remainingMs;
      } else {
        const bytes = Math.ceil((excess * segment.sampleRate) / 1000) * 2;
        segment.offset += bytes;
        this.trimmed += durationMs(bytes, segment.sampleRate);
        excess = 0;
      }
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function durationMs(bytes: number, sampleRate: number): number {
  return (bytes / 2 / sampleRate) * 1000;
}
