// @ts-check
/**
 * One room of the agent bridge, in its own iframe: talks to Node over a loopback websocket
 * (JSON text for control, binary for audio), joins the Jitsi room with lib-jitsi-meet as a
 * visible, audio-only participant, mixes what it hears into 20 ms frames and speaks what Node
 * sends. See room-audio.js for the audio graph.
 *
 * Messages from Node: {type:"join", ...}, {type:"flush"}, {type:"leave"}, binary playback chunks
 * (wire.js). To Node: {type:"ready"}, {type:"joined", participantId}, {type:"join-failed", error},
 * {type:"participants", participants}, {type:"left", reason}, {type:"stats", ...}, {type:"candidates"}
 * and binary 640-byte frames, each with its capture time (wire.js).
 */
import { startRoomAudio } from './room-audio.js';
import { decodePlaybackChunk, encodeRoomFrame } from './dsp/wire.js';

const [slot = '', key = '', relayPort = ''] = location.hash.slice(1).split(':');
const relay = new WebSocket(`ws://127.0.0.1:${relayPort}/rooms/${encodeURIComponent(slot)}?key=${encodeURIComponent(key)}`);
relay.binaryType = 'arraybuffer';

/** @param {Record<string, unknown>} message */
function tell(message) {
  if (relay.readyState === WebSocket.OPEN) relay.send(JSON.stringify(message));
}

/** Never let a token reach Node's logs, whatever an error message quotes (a URL with ?token=…). */
/** @param {unknown} text */
function scrub(text) {
  return String(text)
    .replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, '[redacted]')
    .replace(/([?&]token=)[^&\s]*/g, '$1[redacted]');
}

/**
 * @typedef {{
 *   room: string, jwt: string, displayName: string, serviceUrl: string,
 *   hosts: { domain: string, muc: string },
 *   workarounds: { remoteAudioElement: boolean },
 *   workletUrl: string,
 *   joinTimeoutMs: number,
 * }} JoinConfig
 */

/** @type {{ audio: import('./room-audio.js').RoomAudio, connection: any, conference: any, flushedAt?: number } | undefined} */
let joined;
let leaving = false;
let statsTimer = 0;

relay.onopen = () => tell({ type: 'ready' });
relay.onclose = () => void leave();
relay.onmessage = (/** @type {MessageEvent} */ event) => {
  if (typeof event.data !== 'string') {
    const { sampleRate, pcm } = decodePlaybackChunk(event.data);
    joined?.audio.play(pcm.slice().buffer, sampleRate);
    return;
  }
  const message = JSON.parse(event.data);
  if (message.type === 'join') {
    join(message).then(
      (participantId) => tell({ type: 'joined', participantId }),
      (error) => {
        tell({ type: 'join-failed', error: scrub(error instanceof Error ? error.message : error) });
        void leave();
      },
    );
  } else if (message.type === 'flush') {
    joined?.audio.flush();
    // For tests and debugging: when the barge-in reached this page (epoch ms).
    if (joined !== undefined) joined.flushedAt = performance.timeOrigin + performance.now();
  }
  else if (message.type === 'leave') void leave().then(() => tell({ type: 'left', reason: 'left on request' }));
};

/**
 * Loads lib-jitsi-meet from jitsi-web (never bundled: the client always matches the server).
 * @returns {Promise<any>}
 */
async function loadLibJitsiMeet() {
  const url = new URL('../libs/lib-jitsi-meet.min.js', location.href).href;
  await new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = url;
    script.onload = resolve;
    script.onerror = () => {
      fetch(url).then(
        (response) => reject(new Error(`could not load lib-jitsi-meet from ${url} (HTTP ${response.status})`)),
        (error) => reject(new Error(`could not load lib-jitsi-meet from ${url} (${error.message})`)),
      );
    };
    document.head.append(script);
  });
  const lib = /** @type {any} */ (globalThis).JitsiMeetJS;
  if (lib === undefined) throw new Error(`${url} loaded but defines no JitsiMeetJS`);
  return lib;
}

/**
 * A promise for the first of several events, with a deadline naming the step.
 * @param {string} step
 * @param {number} timeoutMs
 * @param {(resolve: (value: any) => void, reject: (error: Error) => void) => void} listen
 */
function waitFor(step, timeoutMs, listen) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${step}`)), timeoutMs);
    listen(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * @param {JoinConfig} config
 * @returns {Promise<string>} the bot's participant id
 */
async function join(config) {
  // Checked first: otherwise the missing audioWorklet surfaces later as a bare TypeError.
  if (!window.isSecureContext) {
    throw new Error(
      `the bot page at ${location.origin} is not a secure context: Chromium gives it no audioWorklet and no getUserMedia, so it cannot carry audio ` +
        `(serve Jitsi over https, or launch the bot's Chromium with --unsafely-treat-insecure-origin-as-secure=${location.origin})`,
    );
  }
  const JitsiMeetJS = await loadLibJitsiMeet();
  const { events, errors } = JitsiMeetJS;
  const audio = await startRoomAudio({
    remoteAudioElement: config.workarounds.remoteAudioElement,
    workletUrl: config.workletUrl,
    onFrame: (frame) => {
      // Stamped as the worklet hands it over: from here on the frame is inside the bridge.
      if (relay.readyState === WebSocket.OPEN) relay.send(encodeRoomFrame(frame, performance.timeOrigin + performance.now()));
    },
  });
  JitsiMeetJS.init({ enableAnalyticsLogging: false });
  JitsiMeetJS.setLogLevel(JitsiMeetJS.logLevels.ERROR);

  const connection = new JitsiMeetJS.JitsiConnection(null, config.jwt, { serviceUrl: config.serviceUrl, hosts: config.hosts });
  joined = { audio, connection, conference: undefined };
  /** @type {any} */ (globalThis).agentBridgeRoom = joined;
  const serviceUrl = config.serviceUrl.split('?')[0];
  await waitFor('the XMPP connection', config.joinTimeoutMs, (resolve, reject) => {
    connection.addEventListener(events.connection.CONNECTION_ESTABLISHED, resolve);
    connection.addEventListener(events.connection.CONNECTION_FAILED, (/** @type {string} */ type, /** @type {string|undefined} */ message) => {
      const detail = message ? `${type}: ${message}` : type;
      reject(
        new Error(
          type === errors.connection.PASSWORD_REQUIRED
            ? `Jitsi refused the bot's credentials (${detail}): the JWT is missing, expired, or not signed with the secret prosody has`
            : xmppConnectionFailure(serviceUrl, detail),
        ),
      );
    });
    connection.connect();
  });
  connection.addEventListener(events.connection.CONNECTION_FAILED, (/** @type {string} */ type, /** @type {string|undefined} */ message) =>
    void leave(`the XMPP connection failed (${type}${message ? `: ${message}` : ''})`),
  );
  connection.addEventListener(events.connection.CONNECTION_DISCONNECTED, () => void leave('the XMPP connection was closed'));

  const conference = connection.initJitsiConference(config.room, {
    // lib-jitsi-meet enables P2P unless told otherwise; media always goes through the bridge.
    p2p: { enabled: false },
    // No video received; no audio-level or noise detection work for a bot.
    channelLastN: 0,
    disableAudioLevels: true,
    enableNoAudioDetection: false,
    enableNoisyMicDetection: false,
    enableTalkWhileMuted: false,
  });
  joined.conference = conference;
  const reportParticipants = watchParticipants(JitsiMeetJS, conference);
  conference.on(events.conference.TRACK_ADDED, (/** @type {any} */ track) => {
    if (!track.isLocal() && track.getType() === 'audio') audio.addRemoteStream(track, track.getOriginalStream());
  });
  conference.on(events.conference.TRACK_REMOVED, (/** @type {any} */ track) => audio.removeRemoteStream(track));
  conference.setDisplayName(config.displayName);
  conference.setReceiverConstraints({ lastN: 0 });

  const [microphone] = await Promise.resolve(JitsiMeetJS.createLocalTracksFromMediaStreams([{ stream: audio.outputStream, mediaType: 'audio', sourceType: 'agent' }]));
  await conference.addTrack(microphone);

  await waitFor(`joining room "${config.room}"`, config.joinTimeoutMs, (resolve, reject) => {
    conference.on(events.conference.CONFERENCE_JOINED, resolve);
    conference.on(events.conference.CONFERENCE_FAILED, (/** @type {string} */ type) => reject(new Error(conferenceFailure(errors, type, config.room))));
    conference.join();
  });
  conference.on(events.conference.CONFERENCE_FAILED, (/** @type {string} */ type) => void leave(conferenceFailure(errors, type, config.room)));
  // Who is there on arrival, even nobody (Node delivers it once join() has resolved).
  reportParticipants();
  conference.on(events.conference.KICKED, () => void leave('the bot was kicked from the room'));
  conference.on(events.conference.CONFERENCE_LEFT, () => void leave('the bot left the room'));
  statsTimer = window.setInterval(() => reportStats(audio), 500);
  reportStats(audio);
  return conference.myUserId();
}

/**
 * The XMPP connection failed before it was up: say so, and for the websocket name the usual
 * cause (a jitsi-web rendered with ENABLE_XMPP_WEBSOCKET=0 serves no /xmpp-websocket).
 * @param {string} serviceUrl without its query
 * @param {string} detail lib-jitsi-meet's error type and message
 */
function xmppConnectionFailure(serviceUrl, detail) {
  const failed = `the XMPP connection to ${serviceUrl} failed (${detail})`;
  return /^wss?:/.test(serviceUrl) ? `${failed}: if jitsi-web serves no /xmpp-websocket (ENABLE_XMPP_WEBSOCKET=0), the bridge needs JITSI_XMPP_TRANSPORT=bosh` : failed;
}

/**
 * @param {any} errors JitsiMeetJS.errors
 * @param {string} type
 * @param {string} room
 */
function conferenceFailure(errors, type, room) {
  switch (type) {
    case errors.conference.NOT_ALLOWED_ERROR:
      return `Jitsi did not let the bot into room "${room}" (${type}): the JWT's room claim must be this room`;
    case errors.conference.AUTHENTICATION_REQUIRED:
      return `room "${room}" needs an authenticated moderator first (${type})`;
    case errors.conference.PASSWORD_REQUIRED:
      return `room "${room}" is locked with a password (${type})`;
    case errors.conference.CONFERENCE_MAX_USERS:
      return `room "${room}" is full (${type})`;
    default:
      return `the conference in room "${room}" failed (${type})`;
  }
}

/**
 * Reports the people in the room: not the bot itself (lib-jitsi-meet never lists the local
 * participant), not hidden participants (recorders, transcribers), not other bots.
 * @param {any} JitsiMeetJS
 * @param {any} conference
 * @returns {() => void} reports the current list
 */
function watchParticipants(JitsiMeetJS, conference) {
  const { events } = JitsiMeetJS;
  /** @type {Map<string, { id: string, displayName: string }>} */
  const people = new Map();
  const report = () => tell({ type: 'participants', participants: [...people.values()] });
  conference.on(events.conference.USER_JOINED, (/** @type {string} */ id, /** @type {any} */ participant) => {
    if (participant.isHidden() || participant.getBotType()) return;
    people.set(id, { id, displayName: participant.getDisplayName() ?? '' });
    report();
  });
  conference.on(events.conference.USER_LEFT, (/** @type {string} */ id) => {
    if (people.delete(id)) report();
  });
  conference.on(events.conference.DISPLAY_NAME_CHANGED, (/** @type {string} */ id, /** @type {string} */ displayName) => {
    const person = people.get(id);
    if (person === undefined) return;
    person.displayName = displayName ?? '';
    report();
  });
  return report;
}

/**
 * Twice a second: the audio clock against the page's clock (the output timestamp pairs them), and the playout
 * buffer's state.
 * @param {import('./room-audio.js').RoomAudio} audio
 */
function reportStats(audio) {
  const timestamp = audio.context.getOutputTimestamp();
  tell({
    type: 'stats',
    contextTime: timestamp.contextTime ?? audio.context.currentTime,
    performanceTime: timestamp.performanceTime ?? performance.now(),
    contextState: audio.context.state,
    playback: audio.playbackStats(),
  });
}

/**
 * Leaves the room once, whatever asked for it; tells Node why unless Node asked.
 * @param {string} [reason] set when the room was lost rather than left on request
 */
async function leave(reason) {
  if (leaving) return;
  leaving = true;
  clearInterval(statsTimer);
  if (reason !== undefined) tell({ type: 'left', reason: scrub(reason) });
  const current = joined;
  joined = undefined;
  if (current === undefined) return;
  await Promise.allSettled([current.conference?.leave()]);
  await Promise.allSettled([current.connection.disconnect()]);
  await current.audio.close();
}
