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
 * (express.json), which works on plain node:http requests as well.
 */
export function jsonBody(limits: BodyLimits, loggerOf: LoggerOf): BodyStep[] {
  return [bodyDeadline(limits.timeoutMs, loggerOf), express.json({ limit: limits.maxBytes })];
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
