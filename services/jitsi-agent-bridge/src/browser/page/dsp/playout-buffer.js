// @ts-check
/**
 * The bot's playout buffer: a bounded ring of float samples between the agent's speech (pushed
 * in 20 ms chunks, paced by Node's clock) and the audio graph (pulled by the page's audio clock).
 *
 * Two clocks never agree exactly, and Node's timers jitter, so:
 * - it waits for `prebufferMs` of audio before it starts playing (20 ms measured underruns on
 *   this machine; 40 ms did not), or plays what it has once that audio has waited `prebufferMs`
 *   (the end of an utterance shorter than the prebuffer);
 * - it never holds more than `maxQueuedMs`: when Node's clock runs ahead (or a stalled timer
 *   catches up), the oldest samples are dropped and counted, so latency stays bounded;
 * - when it runs dry while playing it goes back to prebuffering; the dry spell counts as an
 *   underrun if audio comes back within `underrunGapMs` (a gap inside speech), not when the
 *   utterance simply ended;
 * - `flush()` (barge-in) drops everything at once: the next `read()` is silence.
 *
 * Time is counted in samples read (the audio clock), never in wall time.
 */
export class PlayoutBuffer {
  /**
   * @param {{ sampleRate: number, maxQueuedMs?: number, prebufferMs?: number, underrunGapMs?: number }} options
   */
  constructor({ sampleRate, maxQueuedMs = 100, prebufferMs = 40, underrunGapMs = 200 }) {
    if (!(prebufferMs < maxQueuedMs)) throw new RangeError(`the prebuffer (${prebufferMs} ms) must be shorter than the bound (${maxQueuedMs} ms)`);
    this.sampleRate = sampleRate;
    this.maxQueued = Math.round((sampleRate * maxQueuedMs) / 1000);
    this.prebuffer = Math.round((sampleRate * prebufferMs) / 1000);
    this.underrunGap = Math.round((sampleRate * underrunGapMs) / 1000);
    this.ring = new Float32Array(this.maxQueued);
    /** Index of the oldest queued sample. */
    this.head = 0;
    this.queued = 0;
    this.playing = false;
    /** Samples read so far: the audio clock. */
    this.clock = 0;
    /** When the oldest queued sample arrived while not playing (audio clock), or null. */
    this.waitingSince = /** @type {number | null} */ (null);
    /** When the buffer last ran dry while playing (audio clock), or null. */
    this.dryAt = /** @type {number | null} */ (null);
    this.underruns = 0;
    this.trimmedSamples = 0;
  }

  /**
   * Queues samples, dropping the oldest beyond the bound.
   * @param {Float32Array} samples
   */
  write(samples) {
    if (samples.length === 0) return;
    if (this.dryAt !== null) {
      if (this.clock - this.dryAt <= this.underrunGap) this.underruns += 1;
      this.dryAt = null;
    }
    let input = samples;
    if (input.length > this.maxQueued) {
      this.trimmedSamples += input.length - this.maxQueued;
      input = input.subarray(input.length - this.maxQueued);
    }
    const overflow = this.queued + input.length - this.maxQueued;
    if (overflow > 0) this.drop(overflow);
    const capacity = this.ring.length;
    const tail = (this.head + this.queued) % capacity;
    const first = Math.min(input.length, capacity - tail);
    this.ring.set(input.subarray(0, first), tail);
    this.ring.set(input.subarray(first), 0);
    this.queued += input.length;
    if (!this.playing && this.waitingSince === null) this.waitingSince = this.clock;
  }

  /**
   * Fills `out` with the next samples to play (silence while prebuffering or empty).
   * @param {Float32Array} out
   */
  read(out) {
    let written = 0;
    if (!this.playing && this.queued > 0) {
      const waited = this.waitingSince === null ? 0 : this.clock - this.waitingSince;
      if (this.queued >= this.prebuffer || waited >= this.prebuffer) {
        this.playing = true;
        this.waitingSince = null;
      }
    }
    if (this.playing) {
      const count = Math.min(out.length, this.queued);
      const capacity = this.ring.length;
      const first = Math.min(count, capacity - this.head);
      out.set(this.ring.subarray(this.head, this.head + first), 0);
      out.set(this.ring.subarray(0, count - first), first);
      this.head = (this.head + count) % capacity;
      this.queued -= count;
      written = count;
      if (this.queued === 0) {
        this.playing = false;
        this.dryAt = this.clock + count;
      }
    }
    out.fill(0, written);
    this.clock += out.length;
  }

  /** Barge-in: drops every queued sample; what follows starts with a fresh prebuffer. */
  flush() {
    this.head = 0;
    this.queued = 0;
    this.playing = false;
    this.waitingSince = null;
    this.dryAt = null;
  }

  /** @param {number} count */
  drop(count) {
    this.head = (this.head + count) % this.ring.length;
    this.queued -= count;
    this.trimmedSamples += count;
  }

  /** @returns {{ queuedMs: number, underruns: number, trimmedMs: number, playing: boolean }} */
  stats() {
    return {
      queuedMs: (this.queued * 1000) / this.sampleRate,
      underruns: this.underruns,
      trimmedMs: (this.trimmedSamples * 1000) / this.sampleRate,
      playing: this.playing,
    };
  }
}
