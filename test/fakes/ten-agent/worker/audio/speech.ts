import { spawn } from 'node:child_process';
import { SAMPLE_RATE } from './pcm.ts';

/**
 * Synthetic speech as 16 kHz mono PCM16: espeak-ng's WAV converted by sox (both Debian
 * packages), or a chirp whose length follows the text, for machines or tests without them.
 */
export async function synthesize(text: string, voice: 'espeak-ng' | 'chirp' = 'espeak-ng', signal?: AbortSignal): Promise<Buffer> {
  if (voice === 'chirp') return chirp(Math.max(400, text.length * 60));
  const wav = await run('espeak-ng', ['-v', 'en-us', '-s', '165', '--stdout', text], Buffer.alloc(0), signal);
  return run('sox', ['-q', '-t', 'wav', '-', '-t', 'raw', '-r', String(SAMPLE_RATE), '-c', '1', '-b', '16', '-e', 'signed-integer', '-L', '-'], wav, signal);
}

/** A rising sweep from 300 Hz to 1200 Hz at a third of full scale, with 10 ms fades. */
export function chirp(ms: number): Buffer {
  const samples = Math.round((SAMPLE_RATE * ms) / 1000);
  const pcm = Buffer.alloc(samples * 2);
  const seconds = samples / SAMPLE_RATE;
  const fade = SAMPLE_RATE / 100;
  for (let index = 0; index < samples; index += 1) {
    const t = index / SAMPLE_RATE;
    const phase = 2 * Math.PI * (300 * t + ((1200 - 300) * t * t) / (2 * seconds));
    const envelope = Math.min(1, index / fade, (samples - index) / fade);
    pcm.writeInt16LE(Math.round(Math.sin(phase) * envelope * 0.33 * 32767), index * 2);
  }
  return pcm;
}

function run(command: string, args: string[], input: Buffer, signal?: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(signal === undefined ? {} : { signal }) });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += String(chunk)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`${command} exited with ${code}: ${err.trim()}`))));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}
