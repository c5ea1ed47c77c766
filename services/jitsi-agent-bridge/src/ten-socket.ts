import WebSocket from 'ws';
import { BridgeError } from './bridge-error.ts';
import { encodeAudioFrame, parseTenMessage, type TenMessage } from './ten-messages.ts';

/**
 * The bridge's one client of a TEN session's websocket_server. TEN's /start answers before the
 * worker listens and says nothing when it does, so connecting means retrying until the socket
 * answers or a deadline passes. websocket_server takes one client at a time and turns a second
 * one away with close code 1008, which is reported as that, not as a generic disconnect.
 */

/** websocket_server's close code for a second client ("Only one connection allowed"). */
export const ONE_CLIENT_ONLY = 1008;

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 500;
/** One attempt's handshake may take this long before it counts as failed. */
const HANDSHAKE_TIMEOUT_MS = 2_000;
/**
 * websocket_server accepts the handshake and only then turns a second client away (an error
 * message and close 1008, right after the handshake). The connection counts as answered once
 * this long has passed without that, or once the server sends anything.
 */
const REJECTION_WINDOW_MS = 250;
/** About 6 s of audio as base64 JSON: past this TEN is not reading, and frames are dropped rather than queued without bound. */
const MAX_BUFFERED_BYTES = 256 * 1024;
const CLOSE_WAIT_MS = 2_000;

export interface ConnectOptions {
  /** Date.now() after which no new attempt starts. */
  readonly deadlineAt: number;
  /** The configured deadline, for the error's words (TEN_CONNECT_TIMEOUT_SECONDS). */
  readonly timeoutSeconds: number;
  readonly signal?: AbortSignal;
  /** Called after every attempt, for the metrics and the debug log. */
  readonly onAttempt?: (result: 'open' | 'refused', attempt: number, detail: string) => void;
}

/** A message as it came off the socket, with its arrival time (performance.now()). */
interface Arrived {
  readonly text: string;
  readonly at: number;
}

export interface TenSocketEvents {
  /** `receivedAt`: when the message came off the socket (performance.now()), for the bridge's added latency. */
  onMessage(message: TenMessage, receivedAt: number): void;
  /** The socket closed without `close()` being called; `problem` says what that means. */
  onClosed(problem: string): void;
}

/** What a close code from websocket_server means, as a sentence. */
export function describeClose(url: string, code: number, reason: string): string {
  const said = reason === '' ? '' : ` "${reason}"`;
  if (code === ONE_CLIENT_ONLY) {
    return `TEN's worker websocket at ${url} already has a client and turned the bridge away (close 1008${said}): websocket_server takes one client per session, so another bridge or client holds this session`;
  }
  return `TEN's worker websocket at ${url} closed (code ${code}${said}): the TEN session ended or its worker exited`;
}

export async function connectTenSocket(url: string, options: ConnectOptions): Promise<TenSocket> {
  const deadline = options.deadlineAt;
  let delay = FIRST_RETRY_MS;
  let lastProblem = 'no attempt';
  for (let attempt = 1; ; attempt += 1) {
    if (options.signal?.aborted) throw stoppedWhileConnecting(url);
    const outcome = await attemptOnce(url, Math.max(1, Math.min(HANDSHAKE_TIMEOUT_MS, deadline - Date.now())), options.signal);
    if (outcome.kind === 'open') {
      options.onAttempt?.('open', attempt, 'open');
      return outcome.socket;
    }
    if (outcome.kind === 'rejected') {
      options.onAttempt?.('refused', attempt, outcome.problem);
      // Another client holds the session: retrying cannot help.
      throw new BridgeError(502, outcome.problem, 'ten_socket');
    }
    if (options.signal?.aborted) throw stoppedWhileConnecting(url);
    lastProblem = outcome.problem;
    options.onAttempt?.('refused', attempt, outcome.problem);
    if (Date.now() + delay > deadline) {
      throw new BridgeError(
        504,
        `TEN's worker websocket at ${url} did not answer within ${options.timeoutSeconds} s (TEN_CONNECT_TIMEOUT_SECONDS; ${attempt} attempts, last: ${lastProblem})`,
        'ten_socket',
      );
    }
    await sleep(delay, options.signal);
    delay = Math.min(delay * 2, MAX_RETRY_MS);
  }
}

type Attempt = { kind: 'open'; socket: TenSocket } | { kind: 'failed'; problem: string } | { kind: 'rejected'; problem: string };

function attemptOnce(url: string, handshakeTimeoutMs: number, signal: AbortSignal | undefined): Promise<Attempt> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { handshakeTimeout: handshakeTimeoutMs, perMessageDeflate: false });
    // Listening from the start: the server may send and close in the same read as the handshake.
    const early: Arrived[] = [];
    let settled = false;
    let window: NodeJS.Timeout | undefined;
    const settle = (attempt: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(window);
      signal?.removeEventListener('abort', abort);
      ws.off('message', onEarlyMessage);
      resolve(attempt);
    };
    const abort = () => {
      ws.terminate();
      settle({ kind: 'failed', problem: 'stopped' });
    };
    signal?.addEventListener('abort', abort, { once: true });
    const accept = () => settle({ kind: 'open', socket: new TenSocket(ws, url, early) });
    const onEarlyMessage = (data: WebSocket.RawData) => {
      early.push({ text: String(data), at: performance.now() });
      // A rejection comes as an error message then the close: wait for the close that follows.
      if (parseTenMessage(String(data)).kind !== 'error') accept();
    };
    ws.on('message', onEarlyMessage);
    ws.once('open', () => {
      window = setTimeout(accept, REJECTION_WINDOW_MS);
    });
    ws.once('error', (error: Error & { code?: string }) => {
      settle({ kind: 'failed', problem: error.code ?? error.message });
    });
    ws.once('close', (code, reason) => {
      settle(code === ONE_CLIENT_ONLY ? { kind: 'rejected', problem: describeClose(url, code, String(reason)) } : { kind: 'failed', problem: `closed with code ${code}` });
    });
  });
}

export class TenSocket {
  private events: TenSocketEvents | undefined;
  private closing = false;
  private readonly closed: Promise<void>;

  private readonly ws: WebSocket;
  readonly url: string;
  /** Messages that came before `listen`. */
  private readonly early: Arrived[];

  constructor(ws: WebSocket, url: string, early: Arrived[]) {
    this.ws = ws;
    this.url = url;
    this.early = early;
    ws.on('message', (data) => this.deliver({ text: String(data), at: performance.now() }));
    // Errors are followed by a close, which is what the session acts on.
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        resolve();
        if (!this.closing) this.events?.onClosed(describeClose(url, code, String(reason)));
      });
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Starts delivering messages, those that came before first. */
  listen(events: TenSocketEvents): void {
    this.events = events;
    for (const arrived of this.early.splice(0)) this.deliver(arrived);
    if (this.ws.readyState === WebSocket.CLOSED && !this.closing) events.onClosed(`TEN's worker websocket at ${this.url} closed`);
  }

  /** Sends one frame of room audio; false when it was dropped (socket not open, or TEN not reading). */
  sendFrame(pcm: Buffer): boolean {
    if (!this.isOpen) return false;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) return false;
    this.ws.send(encodeAudioFrame(pcm));
    return true;
  }

  /** Closes the socket; waits for the close handshake, at most a moment. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) this.ws.close(1000, 'agent stopped');
    const timer = setTimeout(() => this.ws.terminate(), CLOSE_WAIT_MS);
    await this.closed;
    clearTimeout(timer);
  }

  private deliver(arrived: Arrived): void {
    if (this.events === undefined) {
      this.early.push(arrived);
      return;
    }
    this.events.onMessage(parseTenMessage(arrived.text), arrived.at);
  }
}

function stoppedWhileConnecting(url: string): BridgeError {
  return new BridgeError(409, `stopped while connecting to TEN's worker websocket at ${url}`, 'stopped');
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
