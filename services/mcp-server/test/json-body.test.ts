import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonBody, readBody, type BodyStep } from '../src/request-body.ts';
import { openSocket, rawRequest } from './helpers/raw-http.ts';

/**
 * `jsonBody` reads the plain UTF-8 JSON bodies of tool calls itself, and hands every other body
 * to body-parser. Whichever reads it, a body must come out the same as body-parser makes it:
 * the same `req.body`, or an error of the same `type` and `status`.
 */

const LIMIT = 64;
const quiet = pino({ level: 'silent' });

/** A server that reads each body with the given steps and answers what came out. */
async function serverReading(steps: readonly BodyStep[]): Promise<{ url: string; server: Server }> {
  const server = createServer((req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
    readBody(steps, req, res).then(
      () => res.end(JSON.stringify({ body: req.body === undefined ? '(undefined)' : req.body })),
      (error: { type?: string; status?: number }) => res.end(JSON.stringify({ error: { type: error.type, status: error.status } })),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

let ours: Awaited<ReturnType<typeof serverReading>>;
let bodyParser: Awaited<ReturnType<typeof serverReading>>;

beforeAll(async () => {
  ours = await serverReading(jsonBody({ maxBytes: LIMIT, timeoutMs: 5_000 }, () => quiet));
  bodyParser = await serverReading([express.json({ limit: LIMIT })]);
});

afterAll(() => {
  ours?.server.close();
  bodyParser?.server.close();
});

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const cases: Array<{ name: string; headers?: Record<string, string>; body: Buffer | string }> = [
  { name: 'an object', body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"n":1}}}' },
  { name: 'an array', body: '[1,2,3]' },
  { name: 'leading whitespace', body: ' \t\r\n{"a":1}' },
  { name: 'a byte order mark', body: Buffer.concat([BOM, Buffer.from('{"a":1}')]) },
  { name: 'a byte order mark alone', body: BOM },
  { name: 'a number (strict mode refuses it)', body: '42' },
  { name: 'a string', body: '"text"' },
  { name: 'whitespace only', body: '   ' },
  { name: 'invalid JSON', body: '{"a":' },
  { name: 'trailing garbage', body: '{"a":1} x' },
  { name: 'invalid UTF-8 inside a string', body: Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]) },
  { name: 'multi-byte characters', body: '{"name":"Zoë – 東京 🎉"}' },
  { name: 'exactly the limit', body: `{"a":"${'x'.repeat(LIMIT - 8)}"}` },
  { name: 'over the limit', body: `{"a":"${'x'.repeat(LIMIT)}"}` },
  { name: 'an empty body', body: '' },
  { name: 'charset=utf-8', headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"a":1}' },
  { name: 'charset=UTF-8 without a space', headers: { 'content-type': 'Application/JSON;charset=UTF-8' }, body: '{"a":1}' },
  { name: 'another charset', headers: { 'content-type': 'application/json; charset=latin1' }, body: '{"a":1}' },
  { name: 'utf-16le', headers: { 'content-type': 'application/json; charset=utf-16le' }, body: Buffer.from('{"a":1}', 'utf16le') },
  { name: 'another content type', headers: { 'content-type': 'text/plain' }, body: '{"a":1}' },
  { name: 'a +json content type', headers: { 'content-type': 'application/vnd.api+json' }, body: '{"a":1}' },
  { name: 'gzip', headers: { 'content-encoding': 'gzip' }, body: gzipSync('{"a":1}') },
  { name: 'identity named', headers: { 'content-encoding': 'identity' }, body: '{"a":1}' },
  { name: 'an unknown encoding', headers: { 'content-encoding': 'compress' }, body: '{"a":1}' },
];

describe('jsonBody reads a body as body-parser does', () => {
  for (const { name, headers, body } of cases) {
    it(name, async () => {
      const request = {
        method: 'POST',
        path: '/',
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers },
        body,
      };
      const [mine, theirs] = await Promise.all([rawRequest(ours.url, request), rawRequest(bodyParser.url, request)]);
      expect(JSON.parse(mine.text)).toEqual(JSON.parse(theirs.text));
    });
  }

  it('a chunked body, and one that arrives in pieces', { timeout: 10_000 }, async () => {
    const send = async (url: string, chunked: boolean) => {
      const socket = await openSocket(url);
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      const closed = new Promise((resolve) => socket.once('close', resolve));
      const pieces = ['{"a":', '"b",', '"c":1}'];
      const framing = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${pieces.join('').length}`;
      socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${framing}\r\nConnection: close\r\n\r\n`);
      for (const piece of pieces) {
        socket.write(chunked ? `${piece.length.toString(16)}\r\n${piece}\r\n` : piece);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      if (chunked) socket.write('0\r\n\r\n');
      await closed;
      return Buffer.concat(chunks).toString('utf8').split('\r\n\r\n').slice(1).join('\r\n\r\n');
    };
    for (const chunked of [false, true]) {
      const [mine, theirs] = await Promise.all([send(ours.url, chunked), send(bodyParser.url, chunked)]);
      expect(mine).toContain('{"body":{"a":"b","c":1}}');
      expect(mine).toBe(theirs);
    }
  });
});
