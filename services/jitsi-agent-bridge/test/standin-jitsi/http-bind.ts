import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The stand-in's `/http-bind`: its XMPP stand-in protocol (the same JSON messages as on
 * `/xmpp-websocket`) carried over HTTP long-polling, as BOSH carries XMPP over HTTP. jitsi-web
 * serves `/http-bind` whatever ENABLE_XMPP_WEBSOCKET says; a web rendered without the websocket
 * leaves lib-jitsi-meet only this. It is not BOSH's XML (nor is the websocket side XMPP), but it
 * is what makes BOSH differ for a client: plain HTTP requests, one held open for the server's
 * messages, sends as requests of their own, and a session that ends when the client stops polling.
 *
 * `POST /http-bind?room=…&token=…` with a JSON body:
 * - `{"messages": [...]}` without `sid` opens a session (the query's token is checked as the
 *   websocket's is) and answers `{"sid"}`;
 * - `{"sid", "messages": [...]}` delivers the client's messages in order and answers `{}`;
 * - `{"sid", "poll": true}` waits up to HOLD_MS for the server's messages and answers
 *   `{"messages": [...], "closed"}`: one poll at a time, so the server's messages stay in order;
 * - `{"sid", "terminate": true}` ends the session.
 */

/** How long a poll waits for the server's messages (BOSH's `wait`). */
const HOLD_MS = 10_000;
/** A session nobody polls for this long is over (BOSH's `inactivity`). */
const INACTIVITY_MS = 30_000;
const BODY_LIMIT = 1 << 20;

/** The server side of one session, shaped like the `ws` socket the stand-in's XMPP handler takes. */
export class PollingSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  private readonly outbox: string[] = [];
  private waiting: ((messages: string[]) => void) | undefined;
  private inactivity: NodeJS.Timeout;

  constructor() {
    super();
    this.inactivity = setTimeout(() => this.close(), INACTIVITY_MS);
  }

  send(data: string): void {
    if (this.readyState !== this.OPEN) return;
    this.outbox.push(data);
    this.release();
  }

  close(): void {
    if (this.readyState !== this.OPEN) return;
    this.readyState = 3;
    clearTimeout(this.inactivity);
    this.release();
    this.emit('close');
  }

  terminate(): void {
    this.close();
  }

  /** The client's messages, as the websocket would deliver them. */
  deliver(messages: readonly unknown[]): void {
    for (const message of messages) this.emit('message', Buffer.from(JSON.stringify(message)));
  }

  /** The server's messages once there are some (or the hold ran out, or the session closed). */
  poll(): Promise<string[]> {
    clearTimeout(this.inactivity);
    this.inactivity = setTimeout(() => this.close(), INACTIVITY_MS);
    // A second poll replaces the first (answered empty), as BOSH answers the older request.
    this.waiting?.([]);
    return new Promise((resolve) => {
      const hold = setTimeout(() => finish([]), HOLD_MS);
      const finish = (messages: string[]) => {
        clearTimeout(hold);
        if (this.waiting === finish) this.waiting = undefined;
        resolve(messages);
      };
      this.waiting = finish;
      this.release();
    });
  }

  private release(): void {
    if (this.waiting === undefined || (this.outbox.length === 0 && this.readyState === this.OPEN)) return;
    this.waiting(this.outbox.splice(0));
  }
}

/** `/http-bind` over PollingSockets; `accept` is the stand-in's XMPP handler, as for a websocket. */
export class HttpBind {
  private readonly sessions = new Map<string, PollingSocket>();
  private readonly accept: (socket: PollingSocket, url: URL) => void;

  constructor(accept: (socket: PollingSocket, url: URL) => void) {
    this.accept = accept;
  }

  async handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const answer = (status: number, body: Record<string, unknown>) => response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    if (request.method !== 'POST') return void answer(405, { error: 'POST only' });
    let body: { sid?: unknown; messages?: unknown; poll?: unknown; terminate?: unknown };
    try {
      body = JSON.parse(await readBody(request)) as typeof body;
    } catch {
      return void answer(400, { error: 'the body is not JSON' });
    }
    const messages = Array.isArray(body.messages) ? body.messages : [];
    if (body.sid === undefined) {
      const sid = randomBytes(8).toString('hex');
      const socket = new PollingSocket();
      this.sessions.set(sid, socket);
      // Kept a while after it closes, so a poll still collects the last messages (a refusal).
      socket.once('close', () => setTimeout(() => this.sessions.delete(sid), 5_000).unref());
      this.accept(socket, url);
      socket.deliver(messages);
      return void answer(200, { sid });
    }
    const socket = this.sessions.get(String(body.sid));
    // BOSH answers an unknown session with a terminate condition: the client's connection is over.
    if (socket === undefined) return void answer(404, { closed: true, condition: 'item-not-found' });
    if (body.terminate === true) {
      socket.close();
      return void answer(200, { closed: true });
    }
    if (body.poll === true) {
      const out = await socket.poll();
      return void answer(200, { messages: out.map((text) => JSON.parse(text) as unknown), closed: socket.readyState !== socket.OPEN });
    }
    socket.deliver(messages);
    answer(200, {});
  }

  closeAll(): void {
    for (const socket of this.sessions.values()) socket.close();
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) throw new Error('body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
