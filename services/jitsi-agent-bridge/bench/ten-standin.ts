import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { epochNow } from '../test/helpers/browser-harness.ts';

/**
 * A stand-in for TEN's agent server and its websocket_server workers, speaking TEN's protocol,
 * for `npm run bench:bridge`. The fake TEN agent of the tests (test/fakes/ten-agent) runs a Node
 * worker process per session; at 10–20 rooms those would load the machine with work a bridge
 * host never does, so this one keeps every session in this process and does nothing with the
 * audio but timestamp it:
 * - `POST /start` `{channel_name, properties: {websocket_server: {host, port}}}` opens a
 *   websocket server there; `/ping` and `/stop` as TEN answers them. Every reply is HTTP 200
 *   with TEN's envelope (`{"code":"0","data":null,"msg":"success"}`, 10002 for an unknown channel).
 * - each session's websocket takes one client (a second one is turned away with 1008, as TEN
 *   does), reads `{"audio": base64}` frames and records when each arrived and its level;
 * - `speak(pcm)` sends the agent's answer as TEN does: `{"type":"audio", …}` messages of 20 ms
 *   at 16 kHz, paced in real time.
 */

/** TEN's websocket_server audio metadata for 16 kHz mono PCM16 in 20 ms frames. */
const FRAME_SAMPLES = 320;
const FRAME_BYTES = FRAME_SAMPLES * 2;
const FRAME_MS = 20;
const METADATA = { sample_rate: 16_000, channels: 1, bytes_per_sample: 2, samples_per_channel: FRAME_SAMPLES };
/** Receipts kept per session: two minutes of frames is more than any measurement window. */
const RECEIPTS_KEPT = 6000;

export interface StandinTenSession {
  readonly channel: string;
  readonly port: number;
  /** `[epoch ms when the frame arrived, its RMS (0..1)]`, oldest first (the last RECEIPTS_KEPT). */
  readonly received: Array<readonly [number, number]>;
  /** Whether the bridge is connected to this session's websocket. */
  connected(): boolean;
  /**
   * Sends `pcm` (16 kHz PCM16) as real-time paced 20 ms frames, as TEN streams an answer.
   * Returns the epoch ms at which the first frame went out, or undefined with no client.
   */
  speak(pcm: Buffer): number | undefined;
}

export interface StandinTen {
  /** TEN_AGENT_URL. */
  readonly url: string;
  /** Sessions by channel name (the room). */
  readonly sessions: ReadonlyMap<string, StandinTenSession>;
  close(): Promise<void>;
}

interface Session extends StandinTenSession {
  readonly server: WebSocketServer;
  client: WebSocket | undefined;
  readonly timers: Set<NodeJS.Timeout>;
}

const envelope = (code: string, msg: string) => JSON.stringify({ code, data: null, msg });

export async function startStandinTen(): Promise<StandinTen> {
  const sessions = new Map<string, Session>();

  const server: Server = createServer((request, response) => {
    readJson(request).then(
      (body) => route(request.url ?? '', body, response),
      () => reply(response, '10000', 'params invalid'),
    );
  });

  async function route(path: string, body: Record<string, unknown>, response: ServerResponse): Promise<void> {
    const channel = typeof body['channel_name'] === 'string' ? body['channel_name'] : '';
    if (path === '/start') {
      if (channel === '') return reply(response, '10004', 'channel empty');
      if (sessions.has(channel)) return reply(response, '10003', 'channel existed');
      const websocket = (body['properties'] as { websocket_server?: { host?: unknown; port?: unknown } } | undefined)?.websocket_server;
      if (typeof websocket?.host !== 'string' || typeof websocket.port !== 'number') return reply(response, '10000', 'params invalid');
      try {
        sessions.set(channel, await openSession(channel, websocket.host, websocket.port));
      } catch {
        return reply(response, '10101', 'start worker failed');
      }
      return reply(response, '0', 'success');
    }
    if (path === '/ping' || path === '/stop') {
      const session = sessions.get(channel);
      if (session === undefined) return reply(response, '10002', 'channel not existed');
      if (path === '/stop') {
        sessions.delete(channel);
        await closeSession(session);
      }
      return reply(response, '0', 'success');
    }
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sessions,
    async close() {
      await Promise.all([...sessions.values()].map(closeSession));
      sessions.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function openSession(channel: string, host: string, port: number): Promise<Session> {
  const server = new WebSocketServer({ host, port });
  const received: Array<readonly [number, number]> = [];
  const session: Session = {
    channel,
    port,
    received,
    server,
    client: undefined,
    timers: new Set(),
    connected: () => session.client !== undefined && session.client.readyState === session.client.OPEN,
    speak: (pcm) => speak(session, pcm),
  };
  server.on('connection', (socket) => {
    if (session.client !== undefined && session.client.readyState === session.client.OPEN) {
      socket.send(JSON.stringify({ type: 'error', error: 'Only one connection allowed' }));
      socket.close(1008, 'Only one connection allowed');
      return;
    }
    session.client = socket;
    socket.on('message', (data) => {
      // Timestamped before parsing: the moment the frame reached TEN's socket.
      const at = epochNow();
      const audio = parseAudio(String(data));
      if (audio === undefined) return;
      received.push([at, level(audio)]);
      if (received.length > RECEIPTS_KEPT) received.splice(0, received.length - RECEIPTS_KEPT);
    });
    socket.on('close', () => {
      if (session.client === socket) session.client = undefined;
    });
  });
  return new Promise((resolve, reject) => {
    server.once('listening', () => resolve(session));
    server.once('error', reject);
  });
}

function speak(session: Session, pcm: Buffer): number | undefined {
  const client = session.client;
  if (client === undefined || client.readyState !== client.OPEN) return undefined;
  const frames: Buffer[] = [];
  for (let offset = 0; offset < pcm.length; offset += FRAME_BYTES) frames.push(pcm.subarray(offset, offset + FRAME_BYTES));
  const started = performance.now();
  let next = 0;
  // Each frame goes out at its own due time from the start (no drift from late timers).
  const sendDue = () => {
    while (next < frames.length && performance.now() >= started + next * FRAME_MS - 1) {
      if (client.readyState === client.OPEN) client.send(JSON.stringify({ type: 'audio', audio: frames[next]!.toString('base64'), metadata: METADATA }));
      next += 1;
    }
    if (next < frames.length) {
      const timer = setTimeout(() => {
        session.timers.delete(timer);
        sendDue();
      }, Math.max(0, started + next * FRAME_MS - performance.now()));
      session.timers.add(timer);
    }
  };
  const sentAt = epochNow();
  sendDue();
  return sentAt;
}

async function closeSession(session: Session): Promise<void> {
  for (const timer of session.timers) clearTimeout(timer);
  session.timers.clear();
  for (const client of session.server.clients) client.terminate();
  await new Promise<void>((resolve) => session.server.close(() => resolve()));
}

function parseAudio(text: string): Buffer | undefined {
  try {
    const message = JSON.parse(text) as { audio?: unknown };
    return typeof message.audio === 'string' ? Buffer.from(message.audio, 'base64') : undefined;
  } catch {
    return undefined;
  }
}

/** RMS of PCM16 little-endian, full scale = 1. */
function level(pcm: Buffer): number {
  let sum = 0;
  const samples = pcm.length >> 1;
  for (let index = 0; index < samples; index += 1) sum += (pcm.readInt16LE(index * 2) / 32768) ** 2;
  return Math.sqrt(sum / Math.max(1, samples));
}

function reply(response: ServerResponse, code: string, msg: string): void {
  response.writeHead(200, { 'content-type': 'application/json' }).end(envelope(code, msg));
}

function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += String(chunk)));
    request.on('error', reject);
    request.on('end', () => {
      try {
        const value: unknown = JSON.parse(text);
        if (typeof value === 'object' && value !== null) resolve(value as Record<string, unknown>);
        else reject(new Error('not an object'));
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}
