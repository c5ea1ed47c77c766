// @ts-check
/**
 * One room's audio graph, in one AudioContext at 16 kHz (the rate TEN hears):
 *
 *   remote track ─┬─ <audio> at volume 0 (Chromium bug 933677: without an element playing the
 *                 │   stream, a remote WebRTC stream is digital silence in Web Audio)
 *                 └─ MediaStreamAudioSourceNode ─┐  (Chromium resamples 48 kHz → 16 kHz, low-passed)
 *   remote track ── … ───────────────────────────┴─ GainNode (the mix) ─ agent-capture ─► frames
 *
 *   speech from Node ─► agent-playback (ring buffer) ─► MediaStreamAudioDestinationNode ─► bot mic
 *
 * One context per room rather than a capture and a playback context: one audio clock to watch,
 * one audio thread less; TEN's TTS speaks 16 kHz (ElevenLabs pcm_16000) and anything else is
 * converted in the worklet.
 */

export const CONTEXT_SAMPLE_RATE = 16_000;

/**
 * @typedef {{ queuedMs: number, underruns: number, trimmedMs: number, playing: boolean }} PlaybackStats
 * @typedef {{
 *   context: AudioContext,
 *   outputStream: MediaStream,
 *   addRemoteStream(key: unknown, stream: MediaStream): void,
 *   removeRemoteStream(key: unknown): void,
 *   remoteStreamCount(): number,
 *   play(pcm: ArrayBuffer, sampleRate: number): void,
 *   flush(): void,
 *   playbackStats(): PlaybackStats,
 *   close(): Promise<void>,
 * }} RoomAudio
 */

/**
 * @param {{
 *   onFrame(frame: ArrayBuffer): void,
 *   remoteAudioElement: boolean,
 *   workletUrl: string,
 *   resumeTimeoutMs?: number,
 * }} options
 * @returns {Promise<RoomAudio>}
 */
export async function startRoomAudio({ onFrame, remoteAudioElement, workletUrl, resumeTimeoutMs = 5000 }) {
  const context = new AudioContext({ sampleRate: CONTEXT_SAMPLE_RATE, latencyHint: 'interactive' });
  // Chromium creates the context suspended unless autoplay is allowed without a gesture; resume()
  // then never settles, so wait for it with a deadline and say what is missing.
  await Promise.race([context.resume(), new Promise((resolve) => setTimeout(resolve, resumeTimeoutMs))]);
  if (context.state !== 'running') {
    const { state } = context;
    await context.close().catch(() => undefined);
    throw new Error(`the bot's AudioContext did not start (state "${state}" after ${resumeTimeoutMs} ms): Chromium must run with --autoplay-policy=no-user-gesture-required`);
  }
  // From the bridge's loopback server: Chromium fetches worklet modules outside Playwright's
  // routing, so the routed Jitsi origin cannot serve them.
  await context.audioWorklet.addModule(workletUrl);

  const mix = context.createGain();
  const capture = new AudioWorkletNode(context, 'agent-capture', {
    numberOfInputs: 1,
    numberOfOutputs: 0,
    channelCount: 1,
    channelCountMode: 'explicit',
    channelInterpretation: 'speakers',
  });
  capture.port.onmessage = (event) => onFrame(event.data);
  mix.connect(capture);

  const playback = new AudioWorkletNode(context, 'agent-playback', { numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [1] });
  /** @type {PlaybackStats} */
  let lastPlaybackStats = { queuedMs: 0, underruns: 0, trimmedMs: 0, playing: false };
  playback.port.onmessage = (event) => {
    if (event.data.type === 'stats') lastPlaybackStats = event.data;
  };
  const destination = context.createMediaStreamDestination();
  destination.channelCount = 1;
  playback.connect(destination);

  /** @type {Map<unknown, { source: MediaStreamAudioSourceNode, element: HTMLAudioElement | undefined }>} */
  const remotes = new Map();
  /** @param {unknown} key */
  const removeRemoteStream = (key) => {
    const remote = remotes.get(key);
    if (remote === undefined) return;
    remote.source.disconnect();
    remote.element?.remove();
    if (remote.element !== undefined) remote.element.srcObject = null;
    remotes.delete(key);
  };

  return {
    context,
    outputStream: destination.stream,
    addRemoteStream(key, stream) {
      if (remotes.has(key)) return;
      let element;
      if (remoteAudioElement) {
        element = document.createElement('audio');
        element.srcObject = stream;
        element.volume = 0;
        document.body.append(element);
        element.play().catch(() => undefined);
      }
      const source = context.createMediaStreamSource(stream);
      source.connect(mix);
      remotes.set(key, { source, element });
    },
    removeRemoteStream,
    remoteStreamCount() {
      return remotes.size;
    },
    play(pcm, sampleRate) {
      playback.port.postMessage({ type: 'audio', pcm, sampleRate }, [pcm]);
    },
    flush() {
      playback.port.postMessage({ type: 'flush' });
    },
    playbackStats() {
      return lastPlaybackStats;
    },
    async close() {
      for (const key of [...remotes.keys()]) removeRemoteStream(key);
      await context.close().catch(() => undefined);
    },
  };
}
