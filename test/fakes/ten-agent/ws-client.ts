import WebSocket from 'ws';
import { FRAME_BYTES, FRAME_MS } from './worker/audio/pcm.ts';

/**
 * A client of websocket_server's protocol, as a bridge would be: it connects (retrying, since
 * /start answers before the worker listens), records every message, and can stream a
 * microphone: 20 ms frames of 16 kHz PCM16 in real time, silence unless it is saying something.
 */

export type TenServerMessage =
  | { readonly type: 'audio'; readonly audio: string; readonly metadata: Record<string, unknown> }
  | { readonly type: 'data'; readonly name: string; readonly data: Record<string, unknown> }
  | { readonly type: 'cmd'; readonly name: string; readonly data: Record<string, unknown> }
  | { readonly type: 'error'; readonly error: string };

export interface ReceivedMessage {
  /** performance.now() when it arrived. */
  readonly at: number;
  readonly message: TenServerMessage;
}

export class TenWebsocketClient {
  public readonly messages: ReceivedMessage[] = [];
  /** The messages as sent, text for text. */
  public readonly raw: string[] = [];
  public readonly closed: Promise<{ code: number; reason: string }>;
  private readonly listeners = new Set<() => void>();
  private speech: Buffer[] = [];
  private speechDone: (() => void) | undefined;
  private microphone: NodeJS.Timeout | undefined;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const text = String(data);
      this.raw.push(text);
      this.messages.push({ at: performance.now(), message: JSON.parse(text) as TenServerMessage });
      for (const listener of this.listeners) listener();
    });
    this.closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
    void this.closed.then(() => {
      for (const listener of this.listeners) listener();
    });
  }

  /** Connects, retrying every 100 ms until `deadlineMs` passes. */
  public static async connect(url: string, deadlineMs = 10_000): Promise<TenWebsocketClient> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const socket = new WebSocket(url);
      // Listening before the socket opens: a server may send and close in the same read as the
      // handshake (websocket_server does with a second client), before an awaited 'open' resumes.
      const client = new TenWebsocketClient(socket);
      const opened = await new Promise<boolean>((resolve) => {
        socket.once('open', () => resolve(true));
        socket.once('error', () => resolve(false));
      });
      if (opened) return client;
      socket.terminate();
      if (Date.now() > deadline) throw new Error(`no websocket at ${url} within ${deadlineMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  public get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  public send(text: string | Buffer): void {
    this.socket.send(text);
  }

  public sendAudio(pcm: Buffer): void {
    this.socket.send(JSON.stringify({ audio: pcm.toString('base64') }));
  }

  /** Starts sending a frame every 20 ms (silence, or what `say` queued). */
  public startMicrophone(): void {
    if (this.microphone !== undefined) return;
    const started = performance.now();
    let sent = 0;
    const tick = () => {
      while (sent * FRAME_MS <= performance.now() - started && this.isOpen) {
        const frame = this.speech.shift() ?? Buffer.alloc(FRAME_BYTES);
        this.sendAudio(frame);
        sent += 1;
        if (this.speech.length === 0 && this.speechDone !== undefined) {
          const done = this.speechDone;
          this.speechDone = undefined;
          done();
        }
      }
      this.microphone = setTimeout(tick, 5);
    };
    tick();
  }

  /** Speaks PCM into the microphone stream; resolves once its last frame was sent. */
  public say(pcm: Buffer): Promise<void> {
    for (let offset = 0; offset < pcm.length; offset += FRAME_BYTES) {
      const frame = Buffer.alloc(FRAME_BYTES);
      pcm.copy(frame, 0, offset, Math.min(offset + FRAME_BYTES, pcm.length));
      this.speech.push(frame);
    }
    return new Promise((resolve) => (this.speechDone = resolve));
  }

  public stopMicrophone(): void {
    if (this.microphone !== undefined) clearTimeout(this.microphone);
    this.microphone = undefined;
  }

  /** Resolves with the first message (from `from` on) that matches, or rejects after `timeoutMs`. */
  public waitFor(match: (message: TenServerMessage) => boolean, timeoutMs = 10_000, from = 0): Promise<ReceivedMessage> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.slice(from).find((received) => match(received.message));
        if (found !== undefined) {
          cleanup();
          resolve(found);
        } else if (this.socket.readyState === WebSocket.CLOSED) {
          cleanup();
          reject(new Error('the websocket closed before the message arrived'));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no matching message within ${timeoutMs} ms; got ${this.summary()}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** The messages so far, audio counted rather than listed. */
  public summary(): string {
    const parts: string[] = [];
    let audio = 0;
    for (const { message } of this.messages) {
      if (message.type === 'audio') audio += 1;
      else {
        if (audio > 0) parts.push(`audio×${audio}`);
        audio = 0;
        parts.push(message.type === 'error' ? `error(${message.error})` : `${message.type}:${message.name}`);
      }
    }
    if (audio > 0) parts.push(`audio×${audio}`);
    return parts.join(' ') || '(nothing)';
  }

  public async close(): Promise<void> {
    this.stopMicrophone();
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.close();
    await this.closed;
  }
}
