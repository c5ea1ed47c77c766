import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { PageFiles } from './page-files.ts';

/**
 * The loopback server between Node and the bot page.
 *
 * Websocket: one socket per room (the socket says which room), binary 640-byte frames (with their
 * capture time, wire.js) from the page, binary playback chunks and JSON control messages to it.
 * Chosen over Playwright bindings: binary frames on 127.0.0.1 need neither base64 nor the CDP
 * pipe Playwright drives the browser with. Anything on the machine can reach 127.0.0.1, so each
 * room's slot has a random key that only its iframe knows (it is in the iframe's URL fragment,
 * which no request carries).
 *
 * HTTP: the page's files under /page/, with CORS for the Jitsi origin. Chromium fetches
 * AudioWorklet modules outside Playwright's request routing, so the worklet and the DSP modules
 * it imports cannot come from the routed Jitsi origin.
 */
export class PageRelay {
  private readonly slots = new Map<string, { key: Buffer; accept: (socket: WebSocket) => void }>();
  private readonly http: Server;
  private readonly sockets: WebSocketServer;
  readonly port: number;

  private constructor(http: Server, port: number) {
    this.http = http;
    this.port = port;
    this.sockets = new WebSocketServer({ server: http, maxPayload: 1 << 20 });
    this.sockets.on('connection', (socket, request) => this.admit(socket, request));
  }

  /** Serves `files` to `allowedOrigin` (the Jitsi origin the page runs at). */
  static async start(files: PageFiles, allowedOrigin: string): Promise<PageRelay> {
    const http = createServer((request, response) => servePageFile(files, allowedOrigin, request, response));
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(0, '127.0.0.1', () => resolve());
    });
    const address = http.address();
    if (typeof address !== 'object' || address === null) throw new Error('the page relay has no TCP address');
    return new PageRelay(http, address.port);
  }

  /** Where the page's files are on the relay. */
  get filesUrl(): string {
    return `http://127.0.0.1:${this.port}/page/`;
  }

  /** Opens a slot; `connected` settles when the room's iframe dials in with the key. */
  open(slot: string): { key: string; connected: Promise<WebSocket> } {
    const key = randomBytes(24);
    const connected = new Promise<WebSocket>((accept) => this.slots.set(slot, { key, accept }));
    return { key: key.toString('base64url'), connected };
  }

  close(slot: string): void {
    this.slots.delete(slot);
  }

  async stop(): Promise<void> {
    for (const client of this.sockets.clients) client.terminate();
    this.sockets.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private admit(socket: WebSocket, request: IncomingMessage): void {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const slot = decodeURIComponent(url.pathname.replace(/^\/rooms\//, ''));
    const entry = this.slots.get(slot);
    const key = Buffer.from(url.searchParams.get('key') ?? '', 'base64url');
    if (entry === undefined || key.length !== entry.key.length || !timingSafeEqual(key, entry.key)) {
      socket.close(1008, 'unknown room slot or key');
      return;
    }
    // One socket per slot: the key is spent.
    this.slots.delete(slot);
    entry.accept(socket);
  }
}

function servePageFile(files: PageFiles, allowedOrigin: string, request: IncomingMessage, response: ServerResponse): void {
  const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
  const file = path.startsWith('/page/') ? files.get(path.slice('/page/'.length)) : undefined;
  if (request.method !== 'GET' || file === undefined) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  response.writeHead(200, { 'content-type': file.contentType, 'access-control-allow-origin': allowedOrigin, 'cache-control': 'no-store' }).end(file.body);
}
