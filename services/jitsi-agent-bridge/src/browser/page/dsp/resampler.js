// @ts-check
/**
 * A streaming sample-rate converter for the agent's speech: TEN's TTS may speak at any rate
 * (`metadata.sample_rate`), the playout context runs at another. Band-limited interpolation with
 * a Blackman-windowed sinc: the cutoff sits just below the lower of the two Nyquist limits, so
 * downsampling does not alias (24 kHz speech into a 16 kHz context) and upsampling does not
 * leave images. Equal rates pass through untouched.
 *
 * The kernel is tabulated once (`TABLE_STEPS` points per input sample, linearly interpolated),
 * so the per-sample cost is a dot product of `2 × taps` samples, no trigonometry.
 */

const TABLE_STEPS = 256;

export class StreamResampler {
  /**
   * @param {number} inputRate
   * @param {number} outputRate
   * @param {{ zeroCrossings?: number, passband?: number }} [options] sinc zero crossings each side
   *   (quality) and the cutoff as a fraction of the lower Nyquist limit
   */
  constructor(inputRate, outputRate, { zeroCrossings = 16, passband = 0.92 } = {}) {
    for (const [name, rate] of [['input', inputRate], ['output', outputRate]]) {
      if (!Number.isInteger(rate) || rate < 1000 || rate > 384_000) throw new RangeError(`the ${name} sample rate must be a whole number of Hz from 1000 to 384000, got ${rate}`);
    }
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    /** Cutoff in cycles per input sample. */
    const cutoff = (passband * Math.min(inputRate, outputRate)) / (2 * inputRate);
    /** Kernel half-width in input samples. */
    this.taps = Math.ceil(zeroCrossings / (2 * cutoff));
    this.table = new Float32Array(this.taps * TABLE_STEPS + 2);
    for (let step = 0; step < this.table.length; step += 1) {
      const t = step / TABLE_STEPS;
      const x = 2 * cutoff * t;
      const sinc = t === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const w = t >= this.taps ? 0 : 0.42 + 0.5 * Math.cos((Math.PI * t) / this.taps) + 0.08 * Math.cos((2 * Math.PI * t) / this.taps);
      this.table[step] = 2 * cutoff * sinc * w;
    }
    this.reset();
  }

  /** Forgets the stream (barge-in, or a new utterance). */
  reset() {
    /** Input samples not yet consumed; `history[0]` has absolute index `base`. */
    this.history = new Float32Array(0);
    this.base = 0;
    /** Absolute index of the next output sample. */
    this.produced = 0;
    /** Whether the lead-in of silence before the first input sample is in place. */
    this.started = false;
  }

  /**
   * Converts the next chunk; returns the output samples it completes (the last `taps` input
   * samples wait for the next chunk, a fraction of a millisecond).
   * @param {Float32Array} input
   * @returns {Float32Array}
   */
  process(input) {
    if (this.inputRate === this.outputRate) return input.slice();
    if (!this.started) {
      // Lead-in of silence so the first output sample sees a full kernel.
      this.history = new Float32Array(this.taps);
      this.base = -this.taps;
      this.started = true;
    }
    const buffer = new Float32Array(this.history.length + input.length);
    buffer.set(this.history);
    buffer.set(input, this.history.length);
    const end = this.base + buffer.length;
    /** @type {number[]} */
    const out = [];
    for (;;) {
      // Output n sits at input position n · in / out (exact integer arithmetic for the whole part).
      const scaled = this.produced * this.inputRate;
      const whole = Math.floor(scaled / this.outputRate);
      const fraction = (scaled - whole * this.outputRate) / this.outputRate;
      if (whole + this.taps >= end) break;
      let sum = 0;
      for (let k = whole - this.taps + 1; k <= whole + this.taps; k += 1) {
        const distance = Math.abs(whole + fraction - k) * TABLE_STEPS;
        const step = Math.floor(distance);
        const weight = this.table[step] ?? 0;
        const next = this.table[step + 1] ?? 0;
        sum += (buffer[k - this.base] ?? 0) * (weight + (next - weight) * (distance - step));
      }
      out.push(sum);
      this.produced += 1;
    }
    const keepFrom = Math.floor((this.produced * this.inputRate) / this.outputRate) - this.taps + 1;
    this.history = buffer.slice(Math.max(0, keepFrom - this.base));
    this.base = Math.max(this.base, keepFrom);
    return Float32Array.from(out);
  }
}
