import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for a Jitsi Meet web server's IFrame API script, `GET /external_api.js` (also at
 * `/libs/external_api.min.js`, where the real nginx `alias`es it from). The script defines
 * `window.JitsiMeetExternalAPI` with the real constructor shape — `new JitsiMeetExternalAPI(domain,
 * options)` with options `roomName, width, height, parentNode, configOverwrite,
 * interfaceConfigOverwrite, jwt, userInfo, onload, lang, invitees, devices` (and the legacy positional
 * form `(domain, roomName, width, height, parentNode, configOverwrite, interfaceConfigOverwrite, noSSL,
 * jwt, onload)`) — but instead of an iframe running Jitsi Meet it renders a plain element:
 *
 *   <div data-testid="jitsi-stand-in" id="jitsiConferenceFrame0" data-room="<roomName>"
 *        data-domain="<domain>">Jitsi room <roomName></div>
 *
 * appended to `options.parentNode` (default `document.body`, as the real API), sized like the real
 * iframe (numbers are px, "100%"/"10em"/"5pt"/"300px" kept, default 100% × 100%).
 *
 * Recorded in the page, for Playwright's `page.evaluate(() => window.__jitsiCalls)`:
 * - `window.__jitsiCalls`: one entry per construction, `{domain, options}` where options are as
 *   passed but `parentNode` is replaced by the element's id (or lower-case tag name when it has
 *   none) and functions (onload) by the string "[function]"; plus `{disposed: true, roomName,
 *   domain}` for each `dispose()`.
 * - `window.__jitsiCommands`: `{roomName, command, args}` for each `executeCommand` (and each
 *   entry of `executeCommands`).
 * - `window.__jitsiEmit(eventName, data)`: emits an event on every live instance, to script what
 *   Jitsi would report (e.g. `participantJoined`).
 *
 * Behaviour of an instance: `onload` is called asynchronously (an iframe's load is async) with
 * `this` = the element; then `videoConferenceJoined` is emitted with
 * `{roomName, id: 'stand-in', displayName: userInfo.displayName ?? '', avatarURL: ''}`.
 * `executeCommand('hangup')` emits `videoConferenceLeft` `{roomName}` then `readyToClose`.
 * `addListener`/`on`/`once`/`removeListener`/`off`/`removeAllListeners`/`emit`,
 * `addEventListener(s)`/`removeEventListener(s)` (deprecated aliases), `executeCommand(s)`,
 * `getIFrame()`, `dispose()`, `isAudioMuted()`/`isVideoMuted()` (Promise<boolean>, toggled by
 * toggleAudio/toggleVideo), `getNumberOfParticipants()` and `getParticipantsInfo()` are implemented.
 *
 * The server records every request (method, path, query, headers) so a test can check where the
 * script was loaded from.
 */

export interface RecordedJitsiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingMessage['headers'];
}

export interface FakeJitsi {
  /** e.g. http://127.0.0.1:41234 (no trailing slash); the script is at `${url}/external_api.js`. */
  readonly url: string;
  /** `host:port`, what a page passes as JitsiMeetExternalAPI's `domain`. */
  readonly domain: string;
  readonly requests: RecordedJitsiRequest[];
  close(): Promise<void>;
}

/** The script served at /external_api.js. Plain ES2017, no modules, safe to load twice. */
export const EXTERNAL_API_SOURCE = String.raw`/* Jitsi Meet IFrame API stand-in (test fake; no conference is joined). */
(function (root) {
  'use strict';
  if (root.JitsiMeetExternalAPI && root.JitsiMeetExternalAPI.__standIn) return;
  var calls = root.__jitsiCalls = root.__jitsiCalls || [];
  var commands = root.__jitsiCommands = root.__jitsiCommands || [];
  var live = [];
  var nextId = 0;

  function parseArguments(args) {
    if (!args.length) return {};
    var first = args[0];
    if (typeof first === 'string' || first === undefined) {
      return { roomName: args[0], width: args[1], height: args[2], parentNode: args[3],
        configOverwrite: args[4], interfaceConfigOverwrite: args[5], noSSL: args[6], jwt: args[7], onload: args[8] };
    }
    if (typeof first === 'object') return first || {};
    throw new Error("Can't parse the arguments!");
  }

  function parseSizeParam(value) {
    if (typeof value === 'string' && /([0-9]*\.?[0-9]+)(em|pt|px|%)$/.test(value)) return value;
    if (typeof value === 'number') return value + 'px';
    return undefined;
  }

  function describeNode(node) {
    if (!node) return undefined;
    if (node.id) return node.id;
    return node.tagName ? String(node.tagName).toLowerCase() : String(node);
  }

  function recordable(value, depth) {
    if (typeof value === 'function') return '[function]';
    if (value === null || typeof value !== 'object') return value;
    if (depth > 6) return '[object]';
    if (Array.isArray(value)) return value.map(function (item) { return recordable(item, depth + 1); });
    if (typeof value.nodeType === 'number') return describeNode(value);
    var out = {};
    Object.keys(value).forEach(function (key) { out[key] = recordable(value[key], depth + 1); });
    return out;
  }

  function JitsiMeetExternalAPI(domain) {
    if (!(this instanceof JitsiMeetExternalAPI)) throw new TypeError("Class constructor JitsiMeetExternalAPI cannot be invoked without 'new'");
    var options = parseArguments(Array.prototype.slice.call(arguments, 1));
    var self = this;
    var document = root.document;
    var roomName = options.roomName === undefined ? '' : String(options.roomName);
    var parentNode = options.parentNode || document.body;
    var recorded = recordable(options, 0);
    if (recorded && typeof recorded === 'object') recorded.parentNode = describeNode(parentNode);
    calls.push({ domain: domain, options: recorded });

    this._listeners = {};
    this._domain = domain;
    this._roomName = roomName;
    this._audioMuted = false;
    this._videoMuted = false;
    this._participants = {};
    this._disposed = false;

    var frame = document.createElement('div');
    frame.id = 'jitsiConferenceFrame' + nextId++;
    frame.setAttribute('data-testid', 'jitsi-stand-in');
    frame.setAttribute('data-room', roomName);
    frame.setAttribute('data-domain', String(domain));
    frame.textContent = 'Jitsi room ' + roomName;
    var height = parseSizeParam(options.height === undefined ? '100%' : options.height);
    var width = parseSizeParam(options.width === undefined ? '100%' : options.width);
    if (frame.style) {
      if (height !== undefined) frame.style.height = height;
      if (width !== undefined) frame.style.width = width;
      frame.style.border = '0';
    }
    this._frame = parentNode.appendChild(frame) || frame;
    live.push(this);

    var onload = options.onload;
    var userInfo = options.userInfo || {};
    setTimeout(function () {
      if (self._disposed) return;
      if (typeof onload === 'function') onload.call(self._frame, { type: 'load', target: self._frame });
      self._participants['stand-in'] = { displayName: userInfo.displayName || '', formattedDisplayName: userInfo.displayName || '' };
      self.emit('videoConferenceJoined', { roomName: roomName, id: 'stand-in', displayName: userInfo.displayName || '', avatarURL: '' });
    }, 0);
  }

  var proto = JitsiMeetExternalAPI.prototype;
  proto.addListener = proto.on = function (event, listener) {
    (this._listeners[event] = this._listeners[event] || []).push(listener);
    return this;
  };
  proto.once = function (event, listener) {
    var self = this;
    function wrapper() { self.removeListener(event, wrapper); return listener.apply(self, arguments); }
    wrapper.listener = listener;
    return this.on(event, wrapper);
  };
  proto.removeListener = proto.off = function (event, listener) {
    var list = this._listeners[event];
    if (!list) return this;
    for (var i = list.length - 1; i >= 0; i--) {
      if (list[i] === listener || list[i].listener === listener) { list.splice(i, 1); break; }
    }
    return this;
  };
  proto.removeAllListeners = function (event) {
    if (event === undefined) this._listeners = {}; else delete this._listeners[event];
    return this;
  };
  proto.emit = function (event) {
    var list = (this._listeners[event] || []).slice();
    var args = Array.prototype.slice.call(arguments, 1);
    for (var i = 0; i < list.length; i++) list[i].apply(this, args);
    return list.length > 0;
  };
  proto.listenerCount = function (event) { return (this._listeners[event] || []).length; };
  proto.addEventListener = function (event, listener) { this.on(event, listener); };
  proto.addEventListeners = function (listeners) {
    var self = this;
    Object.keys(listeners).forEach(function (event) { self.on(event, listeners[event]); });
  };
  proto.removeEventListener = function (event) { this.removeAllListeners(event); };
  proto.removeEventListeners = function (events) {
    var self = this;
    events.forEach(function (event) { self.removeAllListeners(event); });
  };
  proto.executeCommand = function (name) {
    var args = Array.prototype.slice.call(arguments, 1);
    commands.push({ roomName: this._roomName, command: name, args: recordable(args, 0) });
    var self = this;
    if (name === 'toggleAudio') {
      this._audioMuted = !this._audioMuted;
      setTimeout(function () { self.emit('audioMuteStatusChanged', { muted: self._audioMuted }); }, 0);
    } else if (name === 'toggleVideo') {
      this._videoMuted = !this._videoMuted;
      setTimeout(function () { self.emit('videoMuteStatusChanged', { muted: self._videoMuted }); }, 0);
    } else if (name === 'hangup') {
      setTimeout(function () {
        self.emit('videoConferenceLeft', { roomName: self._roomName });
        self.emit('readyToClose');
      }, 0);
    }
  };
  proto.executeCommands = function (commandList) {
    var self = this;
    Object.keys(commandList).forEach(function (name) { self.executeCommand.apply(self, [name].concat(commandList[name])); });
  };
  proto.getIFrame = function () { return this._frame; };
  proto.isAudioMuted = function () { return Promise.resolve(this._audioMuted); };
  proto.isVideoMuted = function () { return Promise.resolve(this._videoMuted); };
  proto.getNumberOfParticipants = function () { return Object.keys(this._participants).length; };
  proto.getParticipantsInfo = function () {
    var self = this;
    return Object.keys(this._participants).map(function (id) {
      return { participantId: id, displayName: self._participants[id].displayName, formattedDisplayName: self._participants[id].formattedDisplayName };
    });
  };
  proto.dispose = function () {
    if (this._disposed) return;
    this.emit('_willDispose');
    this._disposed = true;
    var index = live.indexOf(this);
    if (index >= 0) live.splice(index, 1);
    var frame = this._frame;
    if (frame && frame.parentNode) frame.parentNode.removeChild(frame);
    calls.push({ disposed: true, roomName: this._roomName, domain: this._domain });
    this._listeners = {};
  };

  JitsiMeetExternalAPI.__standIn = true;
  root.JitsiMeetExternalAPI = JitsiMeetExternalAPI;
  root.__jitsiEmit = function (event, data) {
    live.slice().forEach(function (api) { api.emit(event, data); });
    return live.length;
  };
  if (typeof module === 'object' && module && typeof module.exports === 'object') module.exports = JitsiMeetExternalAPI;
})(typeof window !== 'undefined' ? window : globalThis);
`;

const SCRIPT_PATHS = new Set(['/external_api.js', '/libs/external_api.min.js']);

export interface FakeJitsiOptions {
  /** @default 0 (any free port) */
  readonly port?: number;
}

export async function startFakeJitsi(options: FakeJitsiOptions = {}): Promise<FakeJitsi> {
  const requests: RecordedJitsiRequest[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers });
    if ((req.method === 'GET' || req.method === 'HEAD') && SCRIPT_PATHS.has(url.pathname)) {
      res.writeHead(200, {
        'content-type': 'application/javascript; charset=utf-8',
        'content-length': Buffer.byteLength(EXTERNAL_API_SOURCE),
        'cache-control': 'no-store',
        'access-control-allow-origin': '*',
      });
      res.end(req.method === 'HEAD' ? undefined : EXTERNAL_API_SOURCE);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    domain: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
