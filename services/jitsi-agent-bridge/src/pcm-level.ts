/**
 * Whether a frame of PCM16 holds speech, by its level: above -45 dBFS RMS (the level at which
 * common energy VADs, and our fake STT, start a segment). Only for `heard.lastSpeechAt`, a hint
 * for people checking that the agent hears the room; TEN's STT decides what is speech.
 */
const SPEECH_RMS = 32768 * 10 ** (-45 / 20);

export function isSpeech(pcm: Buffer): boolean {
  const samples = Math.floor(pcm.length / 2);
  if (samples === 0) return false;
  let sum = 0;
  for (let index = 0; index < samples; index += 1) {
    const sample = pcm.readInt16LE(index * 2);
    sum += sample * sample;
  }
  return Math.sqrt(sum / samples) > SPEECH_RMS;
}
