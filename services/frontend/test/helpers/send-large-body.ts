import { request } from 'node:http';

export interface LargeBodyAnswer {
  readonly status: number;
  readonly body: string;
  /** How much of the body the client had handed to the socket when the answer's headers arrived. */
  readonly bytesSentBeforeAnswer: number;
  readonly totalBytes: number;
}

/**
 * POSTs a body of `totalBytes` in 64 KiB chunks, with or without Content-Length (chunked), and
 * stops sending as soon as the server answers: it tells how much a server read before refusing.
 * A server that closes the connection after answering is expected; a reset before any answer fails.
 */
export function sendLargeBody(url: string, options: { totalBytes: number; chunked: boolean; headers: Record<string, string> }): Promise<LargeBodyAnswer> {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answeredAt: number | undefined;
    const req = request(url, {
      method: 'POST',
      headers: { ...options.headers, ...(options.chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(options.totalBytes) }) },
      timeout: 60_000,
    });
    req.on('response', (response) => {
      answeredAt = sent;
      let body = '';
      const done = () => {
        resolve({ status: response.statusCode ?? 0, body, bytesSentBeforeAnswer: answeredAt ?? sent, totalBytes: options.totalBytes });
        req.destroy();
      };
      response.setEncoding('utf8');
      response.on('data', (text: string) => (body += text));
      response.on('end', done);
      response.on('error', done);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 60 s')));
    req.on('error', (error) => {
      if (answeredAt === undefined) reject(new Error(`the connection failed before any answer, after ${sent} bytes: ${error.message}`));
    });
    const pump = () => {
      while (answeredAt === undefined && sent < options.totalBytes) {
        const piece = chunk.subarray(0, Math.min(chunk.length, options.totalBytes - sent));
        sent += piece.length;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
      if (answeredAt === undefined) req.end();
    };
    pump();
  });
}
