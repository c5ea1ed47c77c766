import { request, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';

/**
 * HTTP at the byte level, for requests fetch will not send: any Host header, absolute-form
 * targets, bodies that are not valid UTF-8, a Content-Length that lies, bodies sent slowly.
 */

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

export interface RawRequest {
  readonly method?: string;
  /** The request target as sent: a path with its query, or an absolute URL. */
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer | string;
  /** Gives up (rejecting) when the whole answer has not arrived by then. @default 5000 */
  readonly timeoutMs?: number;
}

/**
 * One request on a fresh connection. An answer to a GET that is an event stream (a legacy SSE
 * stream, which never ends) resolves with its first chunk; every other answer is read to its end.
 */
export function rawRequest(baseUrl: string, options: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const timeoutMs = options.timeoutMs ?? 5_000;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method: options.method ?? 'GET', path: options.path, headers: options.headers ?? {}, agent: false, setHost: options.headers?.['host'] === undefined },
      (res) => {
        const chunks: Buffer[] = [];
        const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
        if ((options.method ?? 'GET') === 'GET' && String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
          res.once('data', (chunk: Buffer) => {
            chunks.push(chunk);
            done();
            req.destroy();
          });
          return;
        }
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', done);
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no complete answer to ${options.method ?? 'GET'} ${options.path} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A bare TCP connection to the server, for writing a request a few bytes at a time. */
export async function openSocket(baseUrl: string): Promise<Socket> {
  const url = new URL(baseUrl);
  const socket = connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/**
 * What the server sends until it closes the connection, or until `timeoutMs`: `closed` tells
 * which. Connection resets count as closed.
 */
export function readUntilClosed(socket: Socket, timeoutMs: number): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = '';
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      resolve({ text, closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    socket.once('close', () => finish(true));
    socket.on('error', () => undefined);
  });
}

/** Waits until `check` holds, polling every 20 ms; throws `message` after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
