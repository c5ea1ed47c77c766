import { frames, SAMPLE_RATE, FRAME_MS } from '../audio/pcm.ts';
import { synthesize } from '../audio/speech.ts';
import type { Data, Extension, ExtensionContext } from '../runtime.ts';

/**
 * A stand-in for the TTS node (`elevenlabs_tts2_python`, pcm_16000): each `tts_text_input`
 * text is spoken in turn as 16 kHz PCM16 audio frames `pcm_frame` (routed by the graph), 20 ms
 * each, paced in real time; `tts_flush` drops what is queued and stops what is playing.
 */
export function textToSpeech(context: ExtensionContext): Extension {
  const voice = context.script.voice ?? 'espeak-ng';
  const queue: string[] = [];
  let playing: { text: string; abort: AbortController } | undefined;
  let busy = false;

  const play = async (text: string, abort: AbortController) => {
    let pcm: Buffer;
    try {
      pcm = await synthesize(text, voice, abort.signal);
    } catch (error) {
      if (!abort.signal.aborted) context.log(`synthesis failed: ${String(error)}`);
      return;
    }
    if (abort.signal.aborted) return;
    context.emit({ type: 'speech_started', text });
    const started = performance.now();
    const list = frames(pcm);
    for (const [index, frame] of list.entries()) {
      const due = started + index * FRAME_MS - performance.now();
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
      if (abort.signal.aborted) return;
      context.sendAudioFrame({ name: 'pcm_frame', pcm: frame, sampleRate: SAMPLE_RATE, channels: 1, bytesPerSample: 2 });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + list.length * FRAME_MS - performance.now())));
    if (!abort.signal.aborted) context.emit({ type: 'speech_finished', text });
  };

  const drain = async () => {
    if (busy) return;
    busy = true;
    for (let text = queue.shift(); text !== undefined; text = queue.shift()) {
      const abort = new AbortController();
      playing = { text, abort };
      await play(text, abort);
      playing = undefined;
    }
    busy = false;
  };

  return {
    onData(data: Data) {
      if (data.name === 'tts_text_input') {
        const text = typeof data.properties['text'] === 'string' ? data.properties['text'] : '';
        if (text.trim() === '') return;
        queue.push(text);
        void drain();
      } else if (data.name === 'tts_flush') {
        queue.length = 0;
        const flushed = playing;
        playing = undefined;
        flushed?.abort.abort();
        context.emit({ type: 'speech_flushed', text: flushed?.text });
      }
    },
    async stop() {
      queue.length = 0;
      playing?.abort.abort();
    },
  };
}
