import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { WebSocketServer, type WebSocket } from 'ws';
import { HttpBind, PollingSocket } from './http-bind.ts';

/**
 * A stand-in for jitsi-web + prosody + the video bridge, for the bot's browser tests:
 * - `GET /libs/lib-jitsi-meet.min.js` serves lib-jitsi-meet.js here, a stand-in for exactly the
 *   part of the JitsiMeetJS API the bot page and the human test page use;
 * - `/xmpp-websocket` (and `/http-bind`, the same over HTTP long-polling: http-bind.ts) speaks
 *   a small JSON protocol with it instead of XMPP, and refuses what
 *   prosody with token auth refuses: no JWT, a JWT not signed with the app secret (or with the
 *   wrong iss/aud/sub, or expired), a JWT whose `room` claim is another room, a wrong XMPP or
 *   MUC domain;
 * - media flows over real RTCPeerConnections between the participants (a mesh: this server
 *   only relays their offers, answers and ICE candidates), and what each participant asked for
 *   (conference options, receiver constraints, candidates) is recorded for the tests;
 * - `/_test/human.html` is a "human" participant page (human.js).
 * Claims as services/frontend/lib/jitsi-token.ts mints them: HS256, iss = app id, aud, sub = the
 * XMPP domain, `room`, `context.user`.
 */
export interface StandinJitsiOptions {
  /** @default a random secret */
  readonly secret?: string;
  /** @default 'voice-agent' */
  readonly appId?: string;
  /** @default 'voice-agent' */
  readonly audience?: string;
  /** @default 'meet.jitsi' */
  readonly xmppDomain?: string;
  /** @default 'muc.meet.jitsi' */
  readonly mucDomain?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /**
   * false: no `/xmpp-websocket` (404), as jitsi-web with ENABLE_XMPP_WEBSOCKET=0; `/http-bind`
   * is served either way. @default true
   */
  readonly xmppWebSocket?: boolean;
}

/** One participant as the stand-in saw it. */
export interface MemberRecord {
  readonly id: string;
  readonly room: string;
  nick: string;
  /** `context.user.name` of the participant's JWT. */
  readonly userName: string;
  /** Which path its XMPP went over. */
  readonly transport: 'xmpp-websocket' | 'http-bind';
  /** What the participant passed to initJitsiConference. */
  readonly conferenceOptions: Record<string, unknown>;
  /** Whether lib-jitsi-meet would try P2P with these options (JitsiConference.isP2PEnabled). */
  readonly p2pEnabled: boolean;
  readonly receiverConstraints: unknown[];
  readonly lastN: number[];
  /** `candidate:` lines of the ICE candidates it sent. */
  readonly candidates: string[];
  present: boolean;
}

export interface Refusal {
  readonly reason: string;
  readonly room?: string;
}

export interface StandinJitsi {
  readonly url: string;
  readonly xmppDomain: string;
  readonly mucDomain: string;
  /** Whether `/xmpp-websocket` is served (else only `/http-bind`). */
  readonly xmppWebSocket: boolean;
  readonly secret: string;
  /** Every HTTP path requested, in order. */
  readonly requests: string[];
  /** What /xmpp-websocket and /http-bind refused, in order. */
  readonly refusals: Refusal[];
  /** A room JWT like the console's (and the bridge's) for `room`. */
  mintJwt(claims: { room: string; name: string; id?: string; secret?: string; expiresInSeconds?: number }): Promise<string>;
  members(room: string): MemberRecord[];
  /** Waits (polling, bounded) until `predicate` holds for the room's members. */
  waitForMembers(room: string, predicate: (members: MemberRecord[]) => boolean, timeoutMs?: number): Promise<MemberRecord[]>;
  /** Kicks a participant out of its room (KICKED on its side). */
  kick(room: string, id: string): void;
  /** Stops the server and drops every connection. */
  close(): Promise<void>;
}

const FILES: Record<string, { file: string; type: string }> = {
  '/libs/lib-jitsi-meet.min.js': { file: 'lib-jitsi-meet.js', type: 'text/javascript; charset=utf-8' },
  '/_test/human.html': { file: 'human.html', type: 'text/html; charset=utf-8' },
  '/_test/human.js': { file: 'human.js', type: 'text/javascript; charset=utf-8' },
};

/** A client's XMPP channel: a websocket, or an /http-bind session shaped like one. */
type XmppSocket = WebSocket | PollingSocket;

interface Connection {
  readonly socket: XmppSocket;
  readonly room: string;
  readonly userName: string;
  member?: MemberRecord;
}

export async function startStandinJitsi(options: StandinJitsiOptions = {}): Promise<StandinJitsi> {
  const secret = options.secret ?? randomBytes(24).toString('base64url');
  const appId = options.appId ?? 'voice-agent';
  const audience = options.audience ?? 'voice-agent';
  const xmppDomain = options.xmppDomain ?? 'meet.jitsi';
  const mucDomain = options.mucDomain ?? 'muc.meet.jitsi';
  const key = new TextEncoder().encode(secret);
  const requests: string[] = [];
  const refusals: Refusal[] = [];
  const members = new Map<string, MemberRecord[]>();
  const live = new Map<string, Connection>();

  const httpBind = new HttpBind((socket, url) => void accept(socket, url));
  const server: Server = createServer((request, response) => {
    const requestUrl = new URL(request.url ?? '/', 'http://standin');
    const path = requestUrl.pathname;
    if (path === '/http-bind') {
      httpBind.handle(request, response, requestUrl).catch((error: Error) => response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: error.message })));
      return;
    }
    requests.push(path);
    const entry = FILES[path];
    if (request.method !== 'GET' || entry === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    readFile(new URL(entry.file, import.meta.url)).then(
      (body) => response.writeHead(200, { 'content-type': entry.type, 'cache-control': 'no-store' }).end(body),
      (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(error.message),
    );
  });
  const sockets = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://standin');
    if (url.pathname !== '/xmpp-websocket' || options.xmppWebSocket === false) {
      // nginx without the location: a plain 404, no upgrade.
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => void accept(ws, url));
  });

  const send = (socket: XmppSocket, message: Record<string, unknown>) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };
  const refuse = (socket: XmppSocket, refusal: Refusal, message: Record<string, unknown>) => {
    refusals.push(refusal);
    send(socket, message);
  };

  /** prosody's token check at connection time (SASL): signature, iss, aud, sub, lifetime. */
  async function authenticate(token: string | null): Promise<{ room: string; userName: string } | { error: string }> {
    if (token === null || token === '') return { error: 'no token' };
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: appId, audience });
      if (payload.sub !== xmppDomain && payload.sub !== '*') return { error: `sub ${String(payload.sub)} is not ${xmppDomain}` };
      if (typeof payload['room'] !== 'string') return { error: 'no room claim' };
      const user = (payload['context'] as { user?: { name?: unknown } } | undefined)?.user;
      return { room: payload['room'], userName: typeof user?.name === 'string' ? user.name : '' };
    } catch (error) {
      return { error: error instanceof joseErrors.JOSEError ? error.code : 'malformed token' };
    }
  }

  async function accept(socket: XmppSocket, url: URL): Promise<void> {
    let connection: Connection | undefined;
    const opened = new Promise<{ domain?: unknown }>((resolve) => socket.once('message', (data) => resolve(safeParse(String(data)))));
    const [open, auth] = await Promise.all([opened, authenticate(url.searchParams.get('token'))]);
    if (open.domain !== xmppDomain) {
      refuse(socket, { reason: `host-unknown: ${String(open.domain)}` }, { type: 'stream-error', condition: 'host-unknown' });
      socket.close();
      return;
    }
    if ('error' in auth) {
      refuse(socket, { reason: `not-authorized: ${auth.error}` }, { type: 'auth-failed', condition: 'not-authorized', text: auth.error });
      socket.close();
      return;
    }
    const resource = randomBytes(4).toString('hex');
    send(socket, { type: 'connected', resource });
    socket.on('message', (data) => {
      const message = safeParse(String(data));
      if (message.type === 'join') connection = join(socket, auth, message);
      else if (connection?.member !== undefined) handle(connection, connection.member, message);
    });
    socket.on('close', () => {
      if (connection?.member !== undefined) leave(connection.member);
    });
  }

  /** prosody's room check at join time: the token's room claim must be this room ('*' = any). */
  function join(socket: XmppSocket, auth: { room: string; userName: string }, message: Record<string, unknown>): Connection | undefined {
    const room = String(message['room']);
    if (message['muc'] !== mucDomain) {
      refuse(socket, { reason: `item-not-found: muc ${String(message['muc'])}`, room }, { type: 'join-error', condition: 'item-not-found' });
      return undefined;
    }
    if (auth.room !== '*' && auth.room.toLowerCase() !== room) {
      refuse(socket, { reason: `not-allowed: token for room ${auth.room}`, room }, { type: 'join-error', condition: 'not-allowed', text: 'Room and token mismatched' });
      return undefined;
    }
    const member: MemberRecord = {
      id: randomBytes(4).toString('hex'),
      room,
      nick: typeof message['nick'] === 'string' ? message['nick'] : '',
      userName: auth.userName,
      transport: socket instanceof PollingSocket ? 'http-bind' : 'xmpp-websocket',
      conferenceOptions: (message['options'] as Record<string, unknown> | undefined) ?? {},
      p2pEnabled: message['p2pEnabled'] === true,
      receiverConstraints: Array.isArray(message['receiverConstraints']) ? [...(message['receiverConstraints'] as unknown[])] : [],
      lastN: Array.isArray(message['lastN']) ? (message['lastN'] as unknown[]).filter((n): n is number => typeof n === 'number') : [],
      candidates: [],
      present: true,
    };
    const roomMembers = members.get(room) ?? [];
    members.set(room, [...roomMembers, member]);
    const present = roomMembers.filter((other) => other.present);
    for (const other of present) send(live.get(other.id)!.socket, { type: 'member-joined', member: describe(member) });
    const connection: Connection = { socket, room, userName: auth.userName, member };
    live.set(member.id, connection);
    send(socket, { type: 'joined', id: member.id, members: present.map(describe) });
    return connection;
  }

  function handle(connection: Connection, member: MemberRecord, message: Record<string, unknown>): void {
    if (message.type === 'nick' && typeof message['nick'] === 'string') {
      member.nick = message['nick'];
      broadcast(member, { type: 'member-nick', id: member.id, nick: member.nick });
    } else if (message.type === 'receiver-constraints') member.receiverConstraints.push(message['constraints']);
    else if (message.type === 'last-n' && typeof message['n'] === 'number') member.lastN.push(message['n']);
    else if (message.type === 'signal' && typeof message['to'] === 'string') {
      const candidate = (message['data'] as { candidate?: { candidate?: unknown } } | undefined)?.candidate?.candidate;
      if (typeof candidate === 'string' && candidate !== '') member.candidates.push(candidate);
      const target = live.get(message['to']);
      if (target !== undefined && target.room === connection.room) send(target.socket, { type: 'signal', from: member.id, data: message['data'] });
    } else if (message.type === 'leave') leave(member);
  }

  function leave(member: MemberRecord): void {
    if (!member.present) return;
    member.present = false;
    live.delete(member.id);
    broadcast(member, { type: 'member-left', id: member.id });
  }

  function broadcast(from: MemberRecord, message: Record<string, unknown>): void {
    for (const other of members.get(from.room) ?? []) {
      if (other.present && other.id !== from.id) send(live.get(other.id)!.socket, message);
    }
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    xmppDomain,
    mucDomain,
    xmppWebSocket: options.xmppWebSocket !== false,
    secret,
    requests,
    refusals,
    async mintJwt({ room, name, id = `user-${name}`, secret: signWith = secret, expiresInSeconds = 600 }) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ room, context: { user: { id, name, moderator: false, affiliation: 'member' } } })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer(appId)
        .setAudience(audience)
        .setSubject(xmppDomain)
        .setIssuedAt(now)
        .setNotBefore(now - 10)
        .setExpirationTime(now + expiresInSeconds)
        .sign(new TextEncoder().encode(signWith));
    },
    members: (room) => [...(members.get(room) ?? [])],
    async waitForMembers(room, predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const current = [...(members.get(room) ?? [])];
        if (predicate(current)) return current;
        if (Date.now() > deadline) throw new Error(`room ${room}: the members never matched (${JSON.stringify(current.map(describe))})`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    kick(room, id) {
      const connection = live.get(id);
      if (connection === undefined || connection.room !== room || connection.member === undefined) throw new Error(`no participant ${id} in room ${room}`);
      send(connection.socket, { type: 'kicked', actor: 'focus' });
      leave(connection.member);
    },
    async close() {
      for (const client of sockets.clients) client.terminate();
      httpBind.closeAll();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function describe(member: MemberRecord): { id: string; nick: string } {
  return { id: member.id, nick: member.nick };
}

function safeParse(text: string): Record<string, unknown> & { type?: unknown; domain?: unknown } {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
