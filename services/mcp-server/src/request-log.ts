import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { GuardedRequest } from './http-guards.ts';
import { redactUrl } from './logger.ts';

/** A caller's X-Request-Id is kept when it is 1 to 128 visible ASCII characters (the bridge's and the console's rule). */
const CALLER_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** Where a request keeps its logger once it has one. */
const LOGGER = Symbol('request logger');

interface WithLogger {
  [LOGGER]?: Logger;
}

/**
 * Request logging, as pino-http does it: one line per request when its answer is done (`req`
 * with its method and redacted URL, `res` with the status, `responseTime`; "request errored"
 * with `err` for a 5xx), none for /health and /metrics, which probes and scrapers call all the
 * time; and `loggerOf(req)` (on Express also `req.log` and `res.log`), a logger that adds `req`
 * to what it logs, for a request's own warnings and errors.
 *
 * A tool call gets no request line: its "tool call" line (`src/tool-service.ts`) already says what
 * was called, by whom, over which transport, how it ended and how long it took. Everything else
 * keeps its line, the tool routes' other requests too: refused ones (401, 403, 429, body errors),
 * errors, and the MCP messages that are not tool calls (initialize, tools/list, notifications).
 *
 * Cheaper than pino-http's middleware, which builds `req.log` for every request (serializing the
 * request) and writes the second line: a request's logger is built the first time something logs
 * through it (on Express by a getter on the requests' prototype: one defined on each request
 * would slow every later access to it), and carries the request's `requestId` (the caller's X-Request-Id when it is
 * sound, else a new UUID, answered in X-Request-Id), as every line of the request does.
 *
 * `isCatalogTool` says whether a name is a tool of the catalog (a call of any other name reaches
 * no tool, so its request keeps its line).
 */
export class RequestLog {
  /** pino-http's logger, not its middleware: the serializers below, wrapped as pino-http wraps them. */
  private readonly base: Logger;
  private readonly isCatalogTool: (name: string) => boolean;

  constructor(logger: Logger, isCatalogTool: (name: string) => boolean) {
    this.base = pinoHttp({
      logger,
      serializers: {
        req: (req: { method: string; url: string }) => ({ method: req.method, url: redactUrl(req.url) }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }).logger;
    this.isCatalogTool = isCatalogTool;
  }

  /**
   * Starts a request on either path (Express, or the plain node:http endpoint at /mcp): gives it
   * its id, answered in X-Request-Id, and writes its line once its answer is done.
   */
  public begin(req: GuardedRequest, res: ServerResponse): void {
    const given = req.headers['x-request-id'];
    req.id = typeof given === 'string' && CALLER_REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    const quiet = req.url === '/health' || req.url === '/metrics';
    const started = Date.now();
    const finished = (error?: Error) => {
      res.off('close', finished);
      res.off('error', finished);
      if (error === undefined && (quiet || (res.statusCode < 400 && isToolCall(req.body, this.isCatalogTool)))) return;
      const responseTime = Date.now() - started;
      const log = this.loggerOf(req);
      if (error !== undefined || res.statusCode >= 500) {
        log.info({ res, err: error ?? new Error(`failed with status code ${res.statusCode}`), responseTime }, 'request errored');
        return;
      }
      log.info({ res, responseTime }, !req.readableAborted && res.writableEnded ? 'request completed' : 'request aborted');
    };
    // 'close' comes once the answer is done (after 'finish'), or when the client went away first.
    res.on('close', finished);
    res.on('error', finished);
  }

  /** The request's own logger (it adds `req` and `requestId`), built the first time it is asked for. */
  public readonly loggerOf = (req: IncomingMessage): Logger => ((req as IncomingMessage & WithLogger)[LOGGER] ??= this.base.child({ requestId: req.id, req }));

  /** As Express middleware, which also gives the app's requests (and responses) `req.log`. */
  public middleware() {
    const prepared = new WeakSet<object>();
    return (req: Request, res: Response, next: NextFunction) => {
      const requests = Object.getPrototypeOf(req) as object;
      if (!prepared.has(requests)) {
        lazyLogger(requests, Object.getPrototypeOf(res) as object, this.loggerOf);
        prepared.add(requests);
      }
      this.begin(req, res);
      next();
    };
  }
}

/** `req.log` and `res.log` on the prototypes of an app's requests and responses, built on first use. */
function lazyLogger(requests: object, responses: object, loggerOf: (req: IncomingMessage) => Logger): void {
  Object.defineProperty(requests, 'log', {
    configurable: true,
    get(this: Request) {
      return loggerOf(this);
    },
    set(this: WithLogger, logger: Logger) {
      this[LOGGER] = logger;
    },
  });
  Object.defineProperty(responses, 'log', {
    configurable: true,
    get(this: Response & WithLogger) {
      return this[LOGGER] ?? this.req.log;
    },
    set(this: WithLogger, logger: Logger) {
      this[LOGGER] = logger;
    },
  });
}

/**
 * True when a body is one call of a catalog tool that the tool path takes: a JSON-RPC tools/call
 * (Streamable HTTP, legacy SSE) shaped as the SDK accepts it, or a REST `{"tool", "args"}`.
 * Bodies are only read on the tool routes; a batch, or a call the SDK refuses before it reaches
 * the tool, is not a tool call.
 */
function isToolCall(body: unknown, isCatalogTool: (name: string) => boolean): boolean {
  if (!isPlainObject(body)) return false;
  if (body['method'] === undefined) return typeof body['tool'] === 'string' && isCatalogTool(body['tool']);
  const { jsonrpc, id, method, params } = body;
  if (jsonrpc !== '2.0' || method !== 'tools/call' || (typeof id !== 'string' && typeof id !== 'number') || !isPlainObject(params)) return false;
  const { name, arguments: args, _meta: meta } = params;
  if (typeof name !== 'string' || !isCatalogTool(name) || (args !== undefined && !isPlainObject(args))) return false;
  if (meta === undefined) return true;
  const progressToken = isPlainObject(meta) ? meta['progressToken'] : null;
  return progressToken === undefined || typeof progressToken === 'string' || typeof progressToken === 'number';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
