import type { RoomAudioStats } from '../room-joiner.ts';

/** Frames delivered per second below this mean the page is losing audio (50 is nominal). */
export const MIN_FRAMES_PER_SECOND = 49.5;
/** The page's audio clock against its wall clock below this means it is falling behind. */
export const MIN_AUDIO_CLOCK_RATIO = 0.999;
/**
 * Both rates are measured over this long, and a room is judged only once it has a full window:
 * the page's output timestamps come in 10 ms steps (headless Chromium's audio callback), so a
 * 0.1 % judgement needs many seconds of them; the first seconds of a room (its iframe loading
 * next to the others) are not its steady state either.
 */
export const METER_WINDOW_MS = 10_000;

/** What the page reports about its audio, twice a second. */
export interface PageAudioReport {
  /** AudioContext.getOutputTimestamp(): the audio clock (s) and the page clock (ms) at one instant. */
  readonly contextTime: number;
  readonly performanceTime: number;
  readonly playback: { readonly queuedMs: number; readonly underruns: number; readonly trimmedMs: number };
}

/**
 * Measures one room's audio health for `stats()` and admission control: frames per second as
 * Node receives them (Node's clock), and the page's audio clock against the page's clock (the
 * least-squares slope of the output timestamps over the window).
 */
export class RoomMeters {
  private readonly frameTimes: number[] = [];
  private firstFrameAt: number | undefined;
  private readonly clock: Array<{ contextTime: number; performanceTime: number }> = [];
  private playback: PageAudioReport['playback'] = { queuedMs: 0, underruns: 0, trimmedMs: 0 };
  private readonly now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.now = now;
  }

  frame(): void {
    const now = this.now();
    this.firstFrameAt ??= now;
    this.frameTimes.push(now);
    this.pruneFrames(now);
  }

  report(report: PageAudioReport): void {
    this.clock.push({ contextTime: report.contextTime, performanceTime: report.performanceTime });
    while ((this.clock[0]?.performanceTime ?? report.performanceTime) < report.performanceTime - METER_WINDOW_MS) this.clock.shift();
    this.playback = report.playback;
  }

  /** Whether both rates cover a full window (before that, admission control ignores the room). */
  settled(): boolean {
    return this.firstFrameAt !== undefined && this.now() - this.firstFrameAt >= METER_WINDOW_MS && this.clockSpanMs() >= METER_WINDOW_MS * 0.9;
  }

  /** `extra` is what the joiner adds: audio still held in Node, and what Node trimmed. */
  stats(extra: { queuedMs: number; trimmedMs: number }): RoomAudioStats {
    const now = this.now();
    this.pruneFrames(now);
    const span = this.firstFrameAt === undefined ? 0 : Math.min(METER_WINDOW_MS, now - this.firstFrameAt);
    return {
      framesPerSecond: span < 1000 ? 0 : (this.frameTimes.length * 1000) / span,
      audioClockRatio: this.clockRatio(),
      queuedPlayoutMs: this.playback.queuedMs + extra.queuedMs,
      underruns: this.playback.underruns,
      trimmedPlayoutMs: this.playback.trimmedMs + extra.trimmedMs,
    };
  }

  /** Seconds of audio clock per second of page clock; 1 until there are a few seconds of samples. */
  private clockRatio(): number {
    if (this.clock.length < 3 || this.clockSpanMs() < 2000) return 1;
    const n = this.clock.length;
    const meanX = this.clock.reduce((total, { performanceTime }) => total + performanceTime, 0) / n;
    const meanY = this.clock.reduce((total, { contextTime }) => total + contextTime * 1000, 0) / n;
    let covariance = 0;
    let variance = 0;
    for (const { performanceTime, contextTime } of this.clock) {
      covariance += (performanceTime - meanX) * (contextTime * 1000 - meanY);
      variance += (performanceTime - meanX) ** 2;
    }
    return covariance / variance;
  }

  private clockSpanMs(): number {
    const first = this.clock[0];
    const last = this.clock.at(-1);
    return first === undefined || last === undefined ? 0 : last.performanceTime - first.performanceTime;
  }

  private pruneFrames(now: number): void {
    while ((this.frameTimes[0] ?? now) <= now - METER_WINDOW_MS) this.frameTimes.shift();
  }
}

/** Healthy unless measured below a threshold; rooms still filling their window count as healthy. */
export function roomIsHealthy(stats: RoomAudioStats, settled: boolean): boolean {
  return !settled || (stats.framesPerSecond >= MIN_FRAMES_PER_SECOND && stats.audioClockRatio >= MIN_AUDIO_CLOCK_RATIO);
}
