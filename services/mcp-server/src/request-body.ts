import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { jsonRpcError } from './http-guards.ts';

export interface BodyLimits {
  /** BODY_LIMIT_BYTES: larger bodies, once decompressed, get 413. */
  readonly maxBytes: number;
  /** BODY_TIMEOUT_MS: a body that has not fully arrived by then gets 408, and its connection is closed. */
  readonly timeoutMs: number;
}

/** A request's own logger (`RequestLog.loggerOf`). */
export type LoggerOf = (req: IncomingMessage) => Logger;

/**
 * A step of reading the body, connect-style, on plain node:http objects: Express runs it as
 * middleware, the endpoint at /mcp (`src/mcp-endpoint.ts`) through `readBody`.
 */
export type BodyStep = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * Reads a JSON body into `req.body`. Routes put it after the Host, Origin, token and rate-limit
 * checks, so a request that is refused never gets its body read, and a caller who may send one
 * has `timeoutMs` to do so: slow bodies cannot hold sockets open. The parser is body-parser's
 * (express.json), which works on plain node:http requests as well, except for the bodies every
 * client sends (see `jsonParser`).
 */
export function jsonBody(limits: BodyLimits, loggerOf: LoggerOf): BodyStep[] {
  return [bodyDeadline(limits.timeoutMs, loggerOf), jsonParser(limits.maxBytes)];
}

/** The Content-Types of plain UTF-8 JSON, as clients spell them (compared in lower case). */
const PLAIN_JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8']);
const DECIMAL_LENGTH = /^[0-9]{1,15}$/;
/** What body-parser's strict mode skips before the first character it checks (RFC 7159's whitespace). */
const LEADING_WHITESPACE = /^[\x20\x09\x0a\x0d]*/;

/**
 * express.json, with a reader of its own for the body every tool call sends: plain UTF-8 JSON
 * (no Content-Encoding, no charset but UTF-8) of a declared length within the limit. For that one
 * body, body-parser's content-type parsing, charset and decoder lookups, raw-body's stream
 * handling and http-errors cost more CPU than reading and parsing the body itself. The result
 * is the same: the same `req.body`, and for a failure an error with the same `type` and `status`
 * (`answerRequestError` answers by those). Every other body (compressed, chunked, another
 * charset or type, empty, declared larger than the limit, on a connection that can no longer
 * be read) goes to body-parser, as before.
 */
function jsonParser(maxBytes: number): BodyStep {
  const bodyParser: BodyStep = express.json({ limit: maxBytes });
  return (req, res, next) => {
    const { 'content-type': type, 'content-length': length } = req.headers;
    const plain =
      type !== undefined &&
      PLAIN_JSON_TYPES.has(type.toLowerCase()) &&
      req.headers['content-encoding'] === undefined &&
      req.headers['transfer-encoding'] === undefined &&
      length !== undefined &&
      DECIMAL_LENGTH.test(length) &&
      Number(length) > 0 &&
      Number(length) <= maxBytes &&
      // body-parser skips a request that has already been read (or cannot be any more); so does it here.
      req.socket?.readable === true &&
      !(req.complete && !req.readable);
    if (!plain) return bodyParser(req, res, next);
    readPlainJson(req, Number(length), next);
  };
}

/**
 * Reads a body of `length` bytes (Node's HTTP parser delivers no more than the Content-Length,
 * which is within the limit) and parses it as body-parser does in strict mode.
 */
function readPlainJson(req: IncomingMessage & { body?: unknown }, length: number, next: (error?: unknown) => void): void {
  req.body = undefined;
  const chunks: Buffer[] = [];
  let received = 0;
  const settle = (error?: BodyError) => {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('aborted', onAborted);
    req.off('error', onError);
    if (error !== undefined) {
      // As raw-body halts a stream it gives up on.
      req.unpipe();
      req.pause();
    }
    next(error);
  };
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    chunks.push(chunk);
  };
  const onEnd = () => {
    if (received !== length) return settle(bodyError(400, 'request.size.invalid', 'request size did not match content length'));
    let text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received)).toString('utf8');
    // raw-body's UTF-8 decoder (iconv-lite) drops a byte order mark.
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    try {
      req.body = parseStrictJson(text);
    } catch (error) {
      return settle(bodyError(400, 'entity.parse.failed', (error as Error).message));
    }
    settle();
  };
  const onAborted = () => settle(bodyError(400, 'request.aborted', 'request aborted'));
  // An error without a type, with status 400, as body-parser passes it on.
  const onError = (error: Error) => settle(Object.assign(error, { status: 400 }));
  req.on('aborted', onAborted);
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
}

/** body-parser's strict JSON: an empty body is `{}`, anything but an object or an array is refused. */
function parseStrictJson(text: string): unknown {
  if (text.length === 0) return {};
  const first = text[0] === '{' || text[0] === '[' ? text[0] : text.charAt(LEADING_WHITESPACE.exec(text)![0].length);
  if (first !== '{' && first !== '[') throw new SyntaxError('strict violation: the body is not a JSON object or array');
  return JSON.parse(text);
}

function bodyError(status: number, type: string, message: string): BodyError {
  return Object.assign(new Error(message), { status, type });
}

/** Runs the body steps outside Express: resolves once the body is read, rejects with what a step passed on. */
export function readBody(steps: readonly BodyStep[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const run = (index: number) => (error?: unknown) => {
      if (error !== undefined && error !== null) reject(error);
      else if (index === steps.length) resolve();
      else steps[index]!(req, res, run(index + 1));
    };
    run(0)();
  });
}

function bodyDeadline(timeoutMs: number, loggerOf: LoggerOf): BodyStep {
  return (req, res, next) => {
    if (req.complete) return next();
    const timer = setTimeout(() => {
      if (req.complete || res.headersSent) return;
      loggerOf(req).warn({ timeoutMs }, 'request body did not arrive in time; closing the connection');
      // The body is still arriving; this connection cannot carry another request.
      res.setHeader('Connection', 'close');
      jsonRpcError(res, 408, -32000, `Request body not received within ${timeoutMs} ms`);
    }, timeoutMs);
    const stop = () => clearTimeout(timer);
    req.once('end', stop);
    res.once('close', stop);
    next();
  };
}

/** What body-parser and raw-body put on the errors they pass on. */
interface BodyError extends Error {
  readonly type?: string;
  readonly status?: number;
}

/**
 * Answers an error from reading a body with the 4xx it is due, or returns false when the error is
 * not about the body. A client that went away is logged as such, not as a server error.
 */
function answerBodyError(error: BodyError, req: IncomingMessage, res: ServerResponse, limits: BodyLimits, loggerOf: LoggerOf): boolean {
  const refuse = (status: number, message: string, code = -32000) => {
    jsonRpcError(res, status, code, message);
    return true;
  };
  switch (error.type) {
    case 'request.aborted':
      loggerOf(req).info('client closed the connection before sending the whole body');
      return true;
    case 'entity.too.large':
      return refuse(413, `Request body larger than ${limits.maxBytes} bytes`);
    case 'entity.parse.failed':
      return refuse(400, 'Parse error: the body is not valid JSON', -32700);
    case 'encoding.unsupported':
      return refuse(415, 'Unsupported Content-Encoding: send the body uncompressed, or compressed with gzip, deflate or br');
    case 'charset.unsupported':
      return refuse(415, 'Unsupported charset: JSON bodies must be UTF-8');
    case 'request.size.invalid':
      return refuse(400, 'Request body length does not match its Content-Length');
  }
  if (error.status === undefined || error.status < 400 || error.status >= 500) return false;
  // The decompressor's own errors (zlib, brotli) carry no type.
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') return refuse(400, 'The request body could not be decompressed as its Content-Encoding says');
  return refuse(400, 'The request body could not be read');
}

/** What a request that failed is answered: body errors get their 4xx; anything else is a 500 and is logged. */
export function answerRequestError(error: BodyError, req: IncomingMessage, res: ServerResponse, limits: BodyLimits, loggerOf: LoggerOf): void {
  if (res.headersSent) {
    // Answered already (a 408 for a body that did not arrive), or the answer broke off midway:
    // end it, so the client is not left waiting for the rest.
    if (!res.writableEnded && error.type !== 'request.aborted') {
      loggerOf(req).error({ err: error.message }, 'request failed after its answer had begun');
      res.end();
    }
    return;
  }
  if (answerBodyError(error, req, res, limits, loggerOf)) return;
  loggerOf(req).error({ err: error.message }, 'request failed');
  jsonRpcError(res, 500, -32603, 'Internal error');
}

/** `answerRequestError` as the app's last error handler. */
export function requestErrors(limits: BodyLimits, loggerOf: LoggerOf) {
  return (error: BodyError, req: Request, res: Response, _next: NextFunction) => answerRequestError(error, req, res, limits, loggerOf);
}
