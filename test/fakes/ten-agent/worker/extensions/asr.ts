import { randomUUID } from 'node:crypto';
import { EnergySegmenter } from '../audio/segmenter.ts';
import type { AudioFrame, Extension, ExtensionContext } from '../runtime.ts';

/**
 * A stand-in for a streaming STT extension (`deepgram_asr_python`): it hears the audio frames
 * it is sent, finds utterances by their energy, and for each one sends data `asr_result`
 * (routed by the graph) with the script's transcript: an interim result shortly after speech
 * starts (its first words, as a streaming STT does) and a final one after the speech ends.
 * main_python reads `text`, `final` and `metadata` of asr_result; the other fields follow
 * ten_ai_base's ASR result and are not read by anything here.
 */
export function speechToText(context: ExtensionContext): Extension {
  const params = (context.property['params'] ?? {}) as Record<string, unknown>;
  const language = typeof params['language'] === 'string' ? params['language'] : 'en-US';
  const transcripts = context.script.transcripts ?? ['Hello there.'];
  let utterance = 0;
  let heardMs = 0;
  let startMs = 0;
  let id = '';

  const transcript = () => transcripts[Math.min(utterance, transcripts.length) - 1] ?? '';
  const send = (text: string, final: boolean, durationMs: number) => {
    context.emit({ type: 'asr_result', text, final });
    context.sendData('asr_result', { id, text, final, start_ms: startMs, duration_ms: durationMs, language, words: [], metadata: {} });
  };

  const segmenter = new EnergySegmenter({
    onset() {
      utterance += 1;
      id = randomUUID();
      startMs = heardMs;
      context.emit({ type: 'speech_onset', utterance });
    },
    interim() {
      const words = transcript().split(/\s+/).filter((word) => word !== '');
      send(words.slice(0, Math.max(1, Math.ceil(words.length / 2))).join(' '), false, heardMs - startMs);
    },
    offset(durationMs) {
      send(transcript(), true, durationMs);
      context.emit({ type: 'utterance', utterance, text: transcript(), durationMs });
    },
  });

  return {
    onAudioFrame(frame: AudioFrame) {
      heardMs += (frame.pcm.length / (frame.bytesPerSample * frame.channels) / frame.sampleRate) * 1000;
      segmenter.push(frame.pcm);
    },
  };
}
