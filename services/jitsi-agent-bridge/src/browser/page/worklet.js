// @ts-check
/**
 * The bot's two audio worklet processors, one module (one `addModule` per room):
 * - `agent-capture`: the room's mix (already resampled to the context's 16 kHz by Chromium) cut
 *   into 20 ms PCM16 frames, each transferred to the main thread, which sends it to Node;
 * - `agent-playback`: the agent's speech from Node, at TEN's sample rate, converted to the
 *   context's rate into the playout buffer, pulled by the audio clock into the bot's microphone.
 * Both run on the audio thread, so the main thread (shared by every room of the page) only
 * forwards buffers.
 */
import { Framer } from './dsp/framer.js';
import { pcm16FromBytes, pcm16ToFloat } from './dsp/pcm16.js';
import { PlayoutBuffer } from './dsp/playout-buffer.js';
import { StreamResampler } from './dsp/resampler.js';

/** Render quanta between two stats messages of the playback processor (about 250 ms at 16 kHz). */
const STATS_EVERY = 32;

class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.framer = new Framer(Math.round(sampleRate / 50), (frame) => this.port.postMessage(frame.buffer, [frame.buffer]));
  }

  /** @param {Float32Array[][]} inputs */
  process(inputs) {
    // No channel at all while nothing is connected to the mix: that is silence, and TEN still
    // wants a frame every 20 ms.
    const channel = inputs[0]?.[0];
    this.framer.push(channel, 128);
    return true;
  }
}

class PlaybackProcessor extends AudioWorkletProcessor {
  /** @param {{ processorOptions?: { maxQueuedMs?: number, prebufferMs?: number } }} options */
  constructor(options) {
    super();
    this.buffer = new PlayoutBuffer({ sampleRate, ...(options.processorOptions ?? {}) });
    /** @type {StreamResampler | undefined} */
    this.resampler = undefined;
    this.quanta = 0;
    this.port.onmessage = (event) => {
      const message = event.data;
      if (message.type === 'audio') this.queue(message.pcm, message.sampleRate);
      else if (message.type === 'flush') {
        this.buffer.flush();
        this.resampler?.reset();
        this.port.postMessage({ type: 'stats', ...this.buffer.stats() });
      }
    };
  }

  /**
   * @param {ArrayBuffer} pcm
   * @param {number} rate
   */
  queue(pcm, rate) {
    if (this.resampler?.inputRate !== rate) this.resampler = new StreamResampler(rate, sampleRate);
    this.buffer.write(this.resampler.process(pcm16ToFloat(pcm16FromBytes(new Uint8Array(pcm)))));
  }

  /**
   * @param {Float32Array[][]} _inputs
   * @param {Float32Array[][]} outputs
   */
  process(_inputs, outputs) {
    const channels = outputs[0] ?? [];
    const first = channels[0];
    if (first !== undefined) {
      this.buffer.read(first);
      for (const channel of channels.slice(1)) channel.set(first);
    }
    this.quanta += 1;
    if (this.quanta % STATS_EVERY === 0) this.port.postMessage({ type: 'stats', ...this.buffer.stats() });
    return true;
  }
}

registerProcessor('agent-capture', CaptureProcessor);
registerProcessor('agent-playback', PlaybackProcessor);
