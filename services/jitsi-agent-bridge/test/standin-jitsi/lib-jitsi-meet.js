/*
 * A stand-in for lib-jitsi-meet, served by the stand-in jitsi-web at /libs/lib-jitsi-meet.min.js.
 * It implements only the part of the JitsiMeetJS API that the agent bridge's bot page and the
 * human test page use, with lib-jitsi-meet's own names and event/error strings (read from
 * jitsi/lib-jitsi-meet: JitsiMeetJS.ts, JitsiConnection.ts, JitsiConference.ts,
 * JitsiConnectionEvents.ts, JitsiConferenceEvents.ts, JitsiConnectionErrors.ts,
 * JitsiConferenceErrors.ts, modules/xmpp/xmpp.ts). Anything else is absent on purpose: a bot
 * page calling it fails here first.
 *
 * Behaviour kept from the real library:
 * - the JWT travels as `token=` on the service URL's query (xmpp.ts createConnection);
 * - a refused token is CONNECTION_FAILED with connection.passwordRequired (Strophe AUTHFAIL);
 *   a dropped connection is CONNECTION_FAILED with connection.droppedError;
 * - a room refused at join is CONFERENCE_FAILED (not-allowed → conference.connectionError.notAllowed);
 * - conference names must be lower case; P2P counts as enabled unless `p2p.enabled` is false
 *   (isP2PEnabled treats a missing p2p config as enabled) — recorded, so tests can check it;
 * - USER_JOINED fires for the members already there before CONFERENCE_JOINED.
 * Media goes over real RTCPeerConnections, one per pair of participants (a mesh, no SFU).
 * Remote tracks come without a stream of their own (the sender's msid is not signalled), so each
 * gets a MediaStream made for it, as lib-jitsi-meet's remote tracks have one each.
 */
(() => {
  'use strict';

  const connectionEvents = {
    CONNECTION_DISCONNECTED: 'connection.connectionDisconnected',
    CONNECTION_ESTABLISHED: 'connection.connectionEstablished',
    CONNECTION_FAILED: 'connection.connectionFailed',
  };
  const conferenceEvents = {
    CONFERENCE_FAILED: 'conference.failed',
    CONFERENCE_JOINED: 'conference.joined',
    CONFERENCE_LEFT: 'conference.left',
    DISPLAY_NAME_CHANGED: 'conference.displayNameChanged',
    KICKED: 'conference.kicked',
    TRACK_ADDED: 'conference.trackAdded',
    TRACK_REMOVED: 'conference.trackRemoved',
    USER_JOINED: 'conference.userJoined',
    USER_LEFT: 'conference.userLeft',
  };
  const connectionErrors = {
    CONNECTION_DROPPED_ERROR: 'connection.droppedError',
    OTHER_ERROR: 'connection.otherError',
    PASSWORD_REQUIRED: 'connection.passwordRequired',
  };
  const conferenceErrors = {
    AUTHENTICATION_REQUIRED: 'conference.authenticationRequired',
    CONFERENCE_MAX_USERS: 'conference.max_users',
    CONNECTION_ERROR: 'conference.connectionError',
    NOT_ALLOWED_ERROR: 'conference.connectionError.notAllowed',
    PASSWORD_REQUIRED: 'conference.passwordRequired',
  };
  /** @jitsi/logger's levels. */
  const logLevels = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', LOG: 'log', WARN: 'warn', ERROR: 'error' };

  class Emitter {
    constructor() {
      this.listeners = new Map();
    }
    on(event, listener) {
      if (!this.listeners.has(event)) this.listeners.set(event, new Set());
      this.listeners.get(event).add(listener);
    }
    off(event, listener) {
      this.listeners.get(event)?.delete(listener);
    }
    emit(event, ...args) {
      for (const listener of [...(this.listeners.get(event) ?? [])]) {
        try {
          listener(...args);
        } catch (error) {
          console.error(`a ${event} listener threw`, error);
        }
      }
    }
  }

  class JitsiTrackStandin {
    constructor(type, track, stream, participantId, local) {
      this.type = type;
      this.track = track;
      this.stream = stream;
      this.participantId = participantId;
      this.local = local;
    }
    getType() {
      return this.type;
    }
    isLocal() {
      return this.local;
    }
    getOriginalStream() {
      return this.stream;
    }
    getTrack() {
      return this.track;
    }
    getParticipantId() {
      return this.participantId;
    }
    dispose() {
      if (this.local) this.track.stop();
      return Promise.resolve();
    }
  }

  class JitsiParticipant {
    constructor(id, nick) {
      this.id = id;
      this.displayName = nick || undefined;
    }
    getId() {
      return this.id;
    }
    getDisplayName() {
      return this.displayName;
    }
    isHidden() {
      return false;
    }
    getBotType() {
      return undefined;
    }
  }

  /**
   * The XMPP channel over /http-bind (BOSH's place), shaped like the WebSocket connect() uses:
   * the first request opens the session with the client's first messages, sends go one request
   * at a time in order, and one poll at a time brings the server's messages (see the stand-in's
   * http-bind.ts). lib-jitsi-meet picks BOSH for an http(s) serviceUrl, a websocket for ws(s).
   */
  class HttpBindChannel {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sid = undefined;
      this.sending = Promise.resolve();
      this.closeListeners = [];
      this.onopen = undefined;
      this.onmessage = undefined;
      this.onclose = undefined;
      setTimeout(() => {
        this.readyState = 1;
        this.onopen?.();
      });
    }
    send(text) {
      if (this.readyState !== 1) return;
      const message = JSON.parse(text);
      this.sending = this.sending
        .then(() => (this.sid === undefined ? this.open([message]) : this.post({ sid: this.sid, messages: [message] })))
        .catch(() => this.finish());
    }
    async open(messages) {
      const reply = await this.post({ messages });
      this.sid = reply.sid;
      void this.pollLoop();
    }
    async pollLoop() {
      while (this.readyState === 1) {
        let reply;
        try {
          reply = await this.post({ sid: this.sid, poll: true });
        } catch {
          this.finish();
          return;
        }
        for (const message of reply.messages ?? []) this.onmessage?.({ data: JSON.stringify(message) });
        if (reply.closed) {
          this.finish();
          return;
        }
      }
    }
    async post(body) {
      const response = await fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const reply = await response.json().catch(() => ({}));
      if (!response.ok && !reply.closed) throw new Error(`http-bind answered ${response.status}`);
      return reply;
    }
    close() {
      if (this.readyState > 1) return;
      this.readyState = 2;
      void this.sending
        .then(() => (this.sid === undefined ? undefined : this.post({ sid: this.sid, terminate: true })))
        .catch(() => undefined)
        .finally(() => this.finish());
    }
    finish() {
      if (this.readyState === 3) return;
      this.readyState = 3;
      this.onclose?.({});
      for (const listener of this.closeListeners) listener();
    }
    addEventListener(type, listener) {
      if (type === 'close') this.closeListeners.push(listener);
    }
  }

  class JitsiConnection {
    constructor(appId, token, options) {
      if (!options || !options.serviceUrl) throw new Error('The "serviceUrl" option is required');
      if (!options.hosts || !options.hosts.domain) throw new TypeError("Cannot read properties of undefined (reading 'domain')");
      this.token = token;
      this.options = options;
      this.events = new Emitter();
      this.socket = undefined;
      this.resource = undefined;
      this.disconnecting = false;
      this.conference = undefined;
    }
    addEventListener(event, listener) {
      this.events.on(event, listener);
    }
    removeEventListener(event, listener) {
      this.events.off(event, listener);
    }
    connect() {
      let url = this.options.serviceUrl;
      if (this.token) url += `${url.includes('?') ? '&' : '?'}token=${this.token}`;
      const socket = /^https?:/.test(url) ? new HttpBindChannel(url) : new WebSocket(url);
      this.socket = socket;
      let established = false;
      let failed = false;
      socket.onopen = () => socket.send(JSON.stringify({ type: 'open', domain: this.options.hosts.domain }));
      socket.onmessage = (event) => {
        const message = JSON.parse(event.data);
        if (message.type === 'connected') {
          established = true;
          this.resource = message.resource;
          this.events.emit(connectionEvents.CONNECTION_ESTABLISHED, message.resource);
        } else if (message.type === 'auth-failed') {
          failed = true;
          this.events.emit(connectionEvents.CONNECTION_FAILED, connectionErrors.PASSWORD_REQUIRED, message.condition);
        } else if (message.type === 'stream-error') {
          failed = true;
          this.events.emit(connectionEvents.CONNECTION_FAILED, connectionErrors.OTHER_ERROR, message.condition);
        } else this.conference?._onServerMessage(message);
      };
      socket.onclose = () => {
        this.socket = undefined;
        if (this.disconnecting) this.events.emit(connectionEvents.CONNECTION_DISCONNECTED);
        else if (established) this.events.emit(connectionEvents.CONNECTION_FAILED, connectionErrors.CONNECTION_DROPPED_ERROR, 'connection-dropped-error');
        else if (!failed) this.events.emit(connectionEvents.CONNECTION_FAILED, connectionErrors.OTHER_ERROR, 'giving-up');
      };
    }
    disconnect() {
      this.disconnecting = true;
      const socket = this.socket;
      if (socket === undefined) return Promise.resolve();
      return new Promise((resolve) => {
        socket.addEventListener('close', () => resolve());
        socket.close();
      });
    }
    initJitsiConference(name, options) {
      if (!name || name.toLowerCase() !== name.toString()) {
        throw new Error('Invalid conference name (no conference name passed or it contains invalid characters like capital letters)!');
      }
      if (this.conference !== undefined) throw new Error('A conference with the same name has already been created!');
      this.conference = new JitsiConference(this, name, options ?? {});
      return this.conference;
    }
    _send(message) {
      if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
    }
  }

  class JitsiConference {
    constructor(connection, name, options) {
      this.connection = connection;
      this.name = name;
      this.options = JSON.parse(JSON.stringify(options));
      this.events = new Emitter();
      this.participants = new Map();
      this.peers = new Map();
      this.localTracks = [];
      this.nick = undefined;
      this.joined = false;
      this.myId = undefined;
      this.pendingConstraints = [];
      this.pendingLastN = 'channelLastN' in this.options ? [this.options.channelLastN] : [];
    }
    on(event, listener) {
      this.events.on(event, listener);
    }
    off(event, listener) {
      this.events.off(event, listener);
    }
    addEventListener(event, listener) {
      this.events.on(event, listener);
    }
    removeEventListener(event, listener) {
      this.events.off(event, listener);
    }
    myUserId() {
      return this.myId;
    }
    getParticipants() {
      return [...this.participants.values()];
    }
    isP2PEnabled() {
      return Boolean(this.options.p2p && this.options.p2p.enabled) || typeof this.options.p2p === 'undefined';
    }
    setDisplayName(name) {
      this.nick = name;
      if (this.joined) this.connection._send({ type: 'nick', nick: name });
    }
    setReceiverConstraints(constraints) {
      if (this.joined) this.connection._send({ type: 'receiver-constraints', constraints });
      else this.pendingConstraints.push(constraints);
    }
    setLastN(lastN) {
      if (!Number.isInteger(lastN) || lastN < -1) throw new RangeError('lastN cannot be smaller than -1');
      if (this.joined) this.connection._send({ type: 'last-n', n: lastN });
      else this.pendingLastN.push(lastN);
    }
    addTrack(track) {
      if (!track) throw new Error('addTrack - a track is required');
      if (this.localTracks.some((other) => other.getType() === track.getType())) {
        return Promise.reject(new Error(`Cannot add second ${track.getType()} track to the conference`));
      }
      this.localTracks.push(track);
      return Promise.all([...this.peers.values()].filter((peer) => peer.transceiver).map((peer) => peer.useLocalTrack())).then(() => track);
    }
    join() {
      this.connection._send({
        type: 'join',
        room: this.name,
        muc: this.connection.options.hosts.muc,
        nick: this.nick,
        options: this.options,
        receiverConstraints: this.pendingConstraints,
        lastN: this.pendingLastN,
        p2pEnabled: this.isP2PEnabled(),
      });
    }
    leave() {
      this.connection._send({ type: 'leave' });
      this._closePeers();
      const wasJoined = this.joined;
      this.joined = false;
      if (wasJoined) this.events.emit(conferenceEvents.CONFERENCE_LEFT);
      return Promise.resolve();
    }
    _onServerMessage(message) {
      if (message.type === 'joined') {
        this.myId = message.id;
        for (const member of message.members) this._memberJoined(member);
        this.joined = true;
        this.events.emit(conferenceEvents.CONFERENCE_JOINED);
        for (const member of message.members) this._peer(member.id);
      } else if (message.type === 'join-error') {
        const error = message.condition === 'not-allowed' ? conferenceErrors.NOT_ALLOWED_ERROR : conferenceErrors.CONNECTION_ERROR;
        this.events.emit(conferenceEvents.CONFERENCE_FAILED, error, message.text);
      } else if (message.type === 'member-joined') {
        this._memberJoined(message.member);
        this._peer(message.member.id);
      } else if (message.type === 'member-nick') {
        const participant = this.participants.get(message.id);
        if (participant) {
          participant.displayName = message.nick;
          this.events.emit(conferenceEvents.DISPLAY_NAME_CHANGED, message.id, message.nick);
        }
      } else if (message.type === 'member-left') this._memberLeft(message.id);
      else if (message.type === 'signal') void this._peer(message.from).signal(message.data);
      else if (message.type === 'kicked') {
        this._closePeers();
        this.joined = false;
        this.events.emit(conferenceEvents.KICKED, { getId: () => message.actor }, 'kicked');
      }
    }
    _memberJoined(member) {
      const participant = new JitsiParticipant(member.id, member.nick);
      this.participants.set(member.id, participant);
      this.events.emit(conferenceEvents.USER_JOINED, member.id, participant);
    }
    _memberLeft(id) {
      const peer = this.peers.get(id);
      if (peer) {
        for (const track of peer.remoteTracks) this.events.emit(conferenceEvents.TRACK_REMOVED, track);
        peer.pc.close();
        this.peers.delete(id);
      }
      const participant = this.participants.get(id);
      if (participant) {
        this.participants.delete(id);
        this.events.emit(conferenceEvents.USER_LEFT, id, participant);
      }
    }
    _closePeers() {
      for (const id of [...this.peers.keys()]) {
        const peer = this.peers.get(id);
        for (const track of peer.remoteTracks) this.events.emit(conferenceEvents.TRACK_REMOVED, track);
        peer.pc.close();
      }
      this.peers.clear();
    }
    /**
     * The peer connection with one other participant. No glare, no renegotiation: the one with
     * the smaller id offers once, one audio transceiver, sendrecv both ways whether or not a
     * track is there yet; a track added later is put on the sender (replaceTrack).
     */
    _peer(id) {
      const existing = this.peers.get(id);
      if (existing) return existing;
      const pc = new RTCPeerConnection({ iceServers: [] });
      const send = (data) => this.connection._send({ type: 'signal', to: id, data });
      const peer = { pc, remoteTracks: [], transceiver: undefined };
      this.peers.set(id, peer);
      pc.onicecandidate = ({ candidate }) => {
        if (candidate) send({ candidate: candidate.toJSON() });
      };
      pc.ontrack = (event) => {
        const stream = event.streams[0] ?? new MediaStream([event.track]);
        const track = new JitsiTrackStandin(event.track.kind, event.track, stream, id, false);
        peer.remoteTracks.push(track);
        this.events.emit(conferenceEvents.TRACK_ADDED, track);
      };
      const useLocalTrack = () => {
        const local = this.localTracks.find((track) => track.getType() === 'audio');
        peer.transceiver.direction = 'sendrecv';
        if (local) return peer.transceiver.sender.replaceTrack(local.getTrack());
        return Promise.resolve();
      };
      peer.useLocalTrack = useLocalTrack;
      peer.signal = async ({ description, candidate }) => {
        try {
          if (description?.type === 'offer') {
            await pc.setRemoteDescription(description);
            peer.transceiver = pc.getTransceivers()[0];
            await useLocalTrack();
            await pc.setLocalDescription();
            send({ description: pc.localDescription.toJSON() });
          } else if (description?.type === 'answer') await pc.setRemoteDescription(description);
          else if (candidate) await pc.addIceCandidate(candidate);
        } catch (error) {
          console.error('signalling failed', error);
        }
      };
      if (this.myId < id) {
        peer.transceiver = pc.addTransceiver('audio', { direction: 'sendrecv' });
        void useLocalTrack()
          .then(() => pc.setLocalDescription())
          .then(() => send({ description: pc.localDescription.toJSON() }))
          .catch((error) => console.error('offer failed', error));
      }
      return peer;
    }
  }

  function createLocalTracksFromMediaStreams(tracksInfo) {
    return tracksInfo.map((info) => {
      const tracks = info.stream.getTracks().filter((track) => track.kind === info.mediaType);
      if (tracks.length === 0) throw new Error('track.no_stream_tracks_found');
      if (tracks.length > 1) throw new Error('track.too_many_tracks_in_stream');
      return new JitsiTrackStandin(info.mediaType, tracks[0], info.stream, undefined, true);
    });
  }

  /** Audio only; echo cancellation, noise suppression and gain control off (a test microphone). */
  async function createLocalTracks(options = {}) {
    const devices = options.devices ?? ['audio', 'video'];
    if (devices.some((device) => device !== 'audio')) throw new Error('the stand-in creates audio tracks only');
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false, ...(options.micDeviceId ? { deviceId: options.micDeviceId } : {}) },
    });
    return stream.getAudioTracks().map((track) => new JitsiTrackStandin('audio', track, new MediaStream([track]), undefined, true));
  }

  window.JitsiMeetJS = {
    version: 'standin',
    JitsiConnection,
    events: { connection: connectionEvents, conference: conferenceEvents },
    errors: { connection: connectionErrors, conference: conferenceErrors },
    logLevels,
    init() {
      return undefined;
    },
    setLogLevel(level) {
      if (!Object.values(logLevels).includes(level)) throw new Error(`unknown log level ${level}`);
    },
    createLocalTracks,
    createLocalTracksFromMediaStreams,
  };
})();
