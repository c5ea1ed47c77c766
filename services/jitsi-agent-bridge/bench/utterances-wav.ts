import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../test/standin-jitsi/test-audio.ts';

/**
 * The humans' microphone for `npm run bench:bridge`: short espeak-ng utterances, each trimmed of
 * espeak's own leading and trailing quiet and followed by exactly `gapMs` of silence, in one
 * 44.1 kHz mono WAV (the rate Chromium's fake capture runs at). Chromium loops the file, so
 * every utterance is one onset, again and again: about one a second with the defaults.
 */
export interface UtterancesWav {
  readonly path: string;
  readonly durationMs: number;
  readonly utterances: number;
  remove(): Promise<void>;
}

export async function utterancesWav(texts: readonly string[], { gapMs = 600, wordsPerMinute = 175 } = {}): Promise<UtterancesWav> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-bridge-speech-'));
  try {
    const parts: string[] = [];
    for (const [index, text] of texts.entries()) {
      const part = join(dir, `part-${index}.wav`);
      const speech = await run('espeak-ng', ['-v', 'en-us', '-s', String(wordsPerMinute), '--stdout', text]);
      // silence … reverse silence … reverse: trim quiet below 0.5 % at both ends, then the gap.
      await run('sox', ['-q', '-t', 'wav', '-', '-r', '44100', '-c', '1', '-b', '16', part, 'silence', '1', '0.01', '0.5%', 'reverse', 'silence', '1', '0.01', '0.5%', 'reverse', 'pad', '0', `${gapMs / 1000}`], speech);
      parts.push(part);
    }
    const path = join(dir, 'utterances.wav');
    await run('sox', ['-q', ...parts, path]);
    const seconds = Number(String(await run('sox', ['--i', '-D', path])).trim());
    return { path, durationMs: Math.round(seconds * 1000), utterances: texts.length, remove: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A 16 kHz PCM16 sine burst: the agent's "answer" (a hard onset, so its arrival is unambiguous). */
export function toneBurst(ms: number, { frequency = 1000, amplitude = 0.3, sampleRate = 16_000 } = {}): Buffer {
  const samples = Math.round((sampleRate * ms) / 1000);
  const pcm = Buffer.alloc(samples * 2);
  for (let index = 0; index < samples; index += 1) pcm.writeInt16LE(Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * frequency * index) / sampleRate)), index * 2);
  return pcm;
}
