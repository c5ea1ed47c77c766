/*
 * The human test participant. Exposes window.human for page.evaluate:
 *   await human.join({ room, jwt, name, microphone, xmppDomain, mucDomain }) → participant id
 *   human.heard()      → { [displayName]: [[epochMs, rms, peakHz], …] } energy (and the loudest
 *                        frequency) of what each remote participant sends
 *   human.spoke()      → [[epochMs, rms], …] energy of its own microphone (the WAV as captured)
 *   human.participants() → [{ id, displayName }]
 *   await human.leave()
 * Energy is measured with AnalyserNodes polled every 5 ms; times are epoch milliseconds
 * (performance.timeOrigin + performance.now()), comparable with Node's on the same machine.
 */
(() => {
  'use strict';
  const POLL_MS = 5;
  const context = new AudioContext();
  const meters = new Map(); // key → { analyser, samples, label }
  const people = new Map();
  let connection;
  let conference;
  let poller;

  const now = () => performance.timeOrigin + performance.now();

  function meter(key, label, stream) {
    // Chromium delivers a remote WebRTC stream to Web Audio only while a media element plays it.
    const element = document.createElement('audio');
    element.srcObject = stream;
    element.volume = 0;
    document.body.append(element);
    element.play().catch(() => undefined);
    const source = context.createMediaStreamSource(stream);
    const analyser = context.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser);
    meters.set(key, { analyser, element, source, label, samples: [], buffer: new Float32Array(analyser.fftSize), spectrum: new Float32Array(analyser.frequencyBinCount) });
  }

  function poll() {
    const at = now();
    for (const entry of meters.values()) {
      entry.analyser.getFloatTimeDomainData(entry.buffer);
      let sum = 0;
      for (const sample of entry.buffer) sum += sample * sample;
      entry.analyser.getFloatFrequencyData(entry.spectrum);
      let peak = 0;
      for (let bin = 1; bin < entry.spectrum.length; bin += 1) if (entry.spectrum[bin] > entry.spectrum[peak]) peak = bin;
      entry.samples.push([at, Math.sqrt(sum / entry.buffer.length), (peak * context.sampleRate) / entry.analyser.fftSize]);
    }
  }

  async function join({ room, jwt, name, microphone = true, xmppDomain = 'meet.jitsi', mucDomain = 'muc.meet.jitsi', bosh = false }) {
    await context.resume();
    const { events } = JitsiMeetJS;
    JitsiMeetJS.init({});
    // As jitsi-meet's own client: BOSH where the web serves no websocket.
    const serviceUrl = bosh ? `${location.origin}/http-bind` : `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/xmpp-websocket`;
    connection = new JitsiMeetJS.JitsiConnection(null, jwt, {
      serviceUrl: `${serviceUrl}?room=${room}`,
      hosts: { domain: xmppDomain, muc: mucDomain },
    });
    await new Promise((resolve, reject) => {
      connection.addEventListener(events.connection.CONNECTION_ESTABLISHED, resolve);
      connection.addEventListener(events.connection.CONNECTION_FAILED, (type, message) => reject(new Error(`${type} ${message ?? ''}`)));
      connection.connect();
    });
    conference = connection.initJitsiConference(room, { p2p: { enabled: false } });
    conference.on(events.conference.USER_JOINED, (id, participant) => people.set(id, participant.getDisplayName() ?? ''));
    conference.on(events.conference.DISPLAY_NAME_CHANGED, (id, displayName) => people.set(id, displayName));
    conference.on(events.conference.USER_LEFT, (id) => people.delete(id));
    conference.on(events.conference.TRACK_ADDED, (track) => {
      if (track.isLocal() || track.getType() !== 'audio') return;
      const id = track.getParticipantId();
      meter(track, () => people.get(id) ?? id, track.getOriginalStream());
    });
    conference.on(events.conference.TRACK_REMOVED, (track) => {
      const entry = meters.get(track);
      entry?.element.remove();
      entry?.source.disconnect();
    });
    conference.setDisplayName(name);
    if (microphone) {
      const [track] = await JitsiMeetJS.createLocalTracks({ devices: ['audio'] });
      meter('microphone', () => 'microphone', track.getOriginalStream());
      await conference.addTrack(track);
    }
    await new Promise((resolve, reject) => {
      conference.on(events.conference.CONFERENCE_JOINED, resolve);
      conference.on(events.conference.CONFERENCE_FAILED, (type) => reject(new Error(type)));
      conference.join();
    });
    poller = setInterval(poll, POLL_MS);
    return conference.myUserId();
  }

  window.human = {
    join,
    heard() {
      const result = {};
      for (const [key, entry] of meters) {
        if (key === 'microphone') continue;
        const label = entry.label();
        result[label] = [...(result[label] ?? []), ...entry.samples];
      }
      return result;
    },
    spoke() {
      return meters.get('microphone')?.samples ?? [];
    },
    participants() {
      return [...people].map(([id, displayName]) => ({ id, displayName }));
    },
    /**
     * WebRTC's view of each incoming audio stream, by participant name: the jitter buffer's mean
     * delay (ms), jitter (ms) and packets lost. (The stand-in keeps a peer connection per
     * participant in conference.peers.)
     */
    async receiveStats() {
      const result = {};
      for (const [id, peer] of conference?.peers ?? []) {
        const report = await peer.pc.getStats();
        for (const stat of report.values()) {
          if (stat.type !== 'inbound-rtp' || stat.kind !== 'audio') continue;
          result[people.get(id) ?? id] = {
            jitterBufferMs: stat.jitterBufferEmittedCount ? (1000 * stat.jitterBufferDelay) / stat.jitterBufferEmittedCount : 0,
            jitterMs: 1000 * (stat.jitter ?? 0),
            packetsLost: stat.packetsLost ?? 0,
          };
        }
      }
      return result;
    },
    /** Drops the samples measured so far (keeps memory and transfers small in long runs). */
    clear() {
      for (const entry of meters.values()) entry.samples.length = 0;
    },
    async leave() {
      clearInterval(poller);
      await conference?.leave();
      await connection?.disconnect();
    },
  };
})();
