import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { jsonRpcError } from './http-guards.ts';

export interface BodyLimits {
  /** BODY_LIMIT_BYTES: larger bodies, once decompressed, get 413. */
  readonly maxBytes: number;
  /** BODY_TIMEOUT_MS: a body that has not fully arrived by then gets 408, and its connection is closed. */
  readonly timeoutMs: number;
}

/**
 * Reads a JSON body. Routes put it after the Host, Origin, token and rate-limit checks, so a
 * request that is refused never gets its body read, and a caller who may send one has
 * `timeoutMs` to do so: slow bodies cannot hold sockets open.
 */
export function jsonBody(limits: BodyLimits): RequestHandler[] {
  return [bodyDeadline(limits.timeoutMs), express.json({ limit: limits.maxBytes })];
}

function bodyDeadline(timeoutMs: number): RequestHandler {
  return (req, res, next) => {
    if (req.complete) return next();
    const timer = setTimeout(() => {
      if (req.complete || res.headersSent) return;
      req.log.warn({ timeoutMs }, 'request body did not arrive in time; closing the connection');
      // The body is still arriving; this connection cannot carry another request.
      res.set('Connection', 'close');
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
function answerBodyError(error: BodyError, req: Request, res: Response, limits: BodyLimits): boolean {
  const refuse = (status: number, message: string, code = -32000) => {
    jsonRpcError(res, status, code, message);
    return true;
  };
  switch (error.type) {
    case 'request.aborted':
      req.log.info('client closed the connection before sending the whole body');
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

/** The last error handler: body errors get their 4xx; anything else is a 500 and is logged. */
export function requestErrors(limits: BodyLimits) {
  return (error: BodyError, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) {
      // Answered already (a 408 for a body that did not arrive), or the answer broke off midway:
      // end it, so the client is not left waiting for the rest.
      if (!res.writableEnded && error.type !== 'request.aborted') {
        req.log.error({ err: error.message }, 'request failed after its answer had begun');
        res.end();
      }
      return;
    }
    if (answerBodyError(error, req, res, limits)) return;
    req.log.error({ err: error.message }, 'request failed');
    jsonRpcError(res, 500, -32603, 'Internal error');
  };
}
