import type { IncomingMessage, ServerResponse } from 'node:http';
import { JSONRPCMessageSchema } from '@modelcontextprotocol/core';
import type { AuthInfo, Server } from '@modelcontextprotocol/server';
import { SSEServerTransport } from '@modelcontextprotocol/server-legacy/sse';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.ts';

interface Session {
  readonly transport: SSEServerTransport;
  readonly server: Server;
  readonly auth: AuthInfo;
  readonly keepAlive: NodeJS.Timeout;
}

/** A message POSTed to one replica for a session another replica holds. */
interface RoutedMessage {
  readonly caller: string;
  readonly message: unknown;
}

export interface LegacySseOptions {
  /** For PUBLISH; a connection in subscriber mode cannot publish. */
  readonly publisher: Redis;
  readonly subscriber: Redis;
  /** Channel prefix, so several deployments (or tests) can share one Redis. */
  readonly channelPrefix: string;
  readonly createServer: () => Server;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** How long a session's owner is remembered; streams of the TEN agent last a conversation. */
const SESSION_OWNER_TTL_SECONDS = 24 * 60 * 60;

/** A comment line every so often keeps proxies from closing an idle stream. */
const KEEP_ALIVE_MS = 15_000;

/**
 * The legacy HTTP+SSE transport, for the TEN agent's stock MCP client, which speaks nothing
 * else. A session lives on the replica holding its SSE stream. A POST for it may land on any
 * replica: if the session is not here, the message goes through Redis pub/sub to the replica
 * that subscribed to the session's channel when it opened the stream.
 */
export class LegacySse {
  private readonly sessions = new Map<string, Session>();
  private readonly options: LegacySseOptions;
  /** Called once no session is left (a drain waits on it). */
  private readonly emptyWaiters = new Set<() => void>();

  constructor(options: LegacySseOptions) {
    this.options = options;
    options.subscriber.on('message', (channel: string, text: string) => this.onRouted(channel, text));
  }

  /**
   * GET /sse/<token>: opens a session and its stream. The session's routing is set up in Redis
   * before the stream starts; while Redis does not answer, the request gets 503 at once.
   */
  public async open(res: ServerResponse, endpoint: string, auth: AuthInfo): Promise<void> {
    const transport = new SSEServerTransport(endpoint, res);
    const id = transport.sessionId;
    try {
      await this.options.subscriber.subscribe(this.channel(id));
      // Every replica can then tell who owns the session before routing a message to it.
      await this.options.publisher.set(this.ownerKey(id), auth.clientId, 'EX', SESSION_OWNER_TTL_SECONDS);
    } catch (error) {
      this.options.subscriber.unsubscribe(this.channel(id)).catch(() => undefined);
      return this.redisUnavailable(res, error);
    }
    const server = this.options.createServer();
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    this.sessions.set(id, { transport, server, auth, keepAlive });
    this.options.metrics.sseSessions.set(this.sessions.size);
    transport.onclose = () => void this.forget(id);
    res.on('close', () => void transport.close());
    await server.connect(transport);
    this.options.logger.info({ sseSession: id, caller: auth.clientId }, 'sse session opened');
  }

  /**
   * POST /messages/<token>?sessionId=…: handles the message here if this replica holds the
   * session, else routes it. Answers 404 when no replica holds it, or the caller does not own it.
   */
  public async post(req: IncomingMessage & { auth?: AuthInfo; body?: unknown }, res: ServerResponse, sessionId: string, auth: AuthInfo): Promise<void> {
    // Checked here rather than by the SDK, which answers a bad message by echoing it as text.
    if (!JSONRPCMessageSchema.safeParse(req.body).success) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'the body must be one JSON-RPC message, as JSON (this transport takes no batches)' }));
      return;
    }
    const local = this.sessions.get(sessionId);
    if (local !== undefined) {
      if (local.auth.clientId !== auth.clientId) return notFound(res);
      req.auth = local.auth;
      await local.transport.handlePostMessage(req, res, req.body);
      return;
    }
    let receivers: number;
    try {
      if ((await this.options.publisher.get(this.ownerKey(sessionId))) !== auth.clientId) return notFound(res);
      const routed: RoutedMessage = { caller: auth.clientId, message: req.body };
      receivers = await this.options.publisher.publish(this.channel(sessionId), JSON.stringify(routed));
    } catch (error) {
      return this.redisUnavailable(res, error);
    }
    if (receivers === 0) return notFound(res);
    res.writeHead(202).end('Accepted');
  }

  /** Sessions open on this replica. */
  public get size(): number {
    return this.sessions.size;
  }

  /**
   * Resolves true as soon as no session is open here (at once if none is), false after
   * `timeoutMs`. Sessions end when their client closes the stream, or by `closeAll`.
   */
  public waitUntilEmpty(timeoutMs: number): Promise<boolean> {
    if (this.sessions.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const settle = (empty: boolean) => {
        clearTimeout(timer);
        this.emptyWaiters.delete(onEmpty);
        resolve(empty);
      };
      const onEmpty = () => settle(true);
      const timer = setTimeout(() => settle(false), timeoutMs);
      this.emptyWaiters.add(onEmpty);
    });
  }

  /** Ends every stream (clients reconnect elsewhere) and stops listening for routed messages. */
  public async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((session) => session.transport.close()));
  }

  private onRouted(channel: string, text: string): void {
    if (!channel.startsWith(this.options.channelPrefix)) return;
    const sessionId = channel.slice(this.options.channelPrefix.length);
    const session = this.sessions.get(sessionId);
    if (session === undefined) return;
    let routed: RoutedMessage;
    try {
      routed = JSON.parse(text) as RoutedMessage;
    } catch {
      return;
    }
    // The replica that took the POST authenticated it; only the session's owner may use it.
    if (routed.caller !== session.auth.clientId) return;
    session.transport.handleMessage(routed.message, { authInfo: session.auth }).catch((error: unknown) => {
      this.options.logger.warn({ sseSession: sessionId, err: (error as Error).message }, 'routed sse message failed');
    });
  }

  private async forget(id: string): Promise<void> {
    const session = this.sessions.get(id);
    if (session === undefined) return;
    clearInterval(session.keepAlive);
    this.sessions.delete(id);
    this.options.metrics.sseSessions.set(this.sessions.size);
    if (this.sessions.size === 0) for (const onEmpty of [...this.emptyWaiters]) onEmpty();
    await session.server.close().catch(() => undefined);
    await this.options.subscriber.unsubscribe(this.channel(id)).catch(() => undefined);
    await this.options.publisher.del(this.ownerKey(id)).catch(() => undefined);
    this.options.logger.info({ sseSession: id }, 'sse session closed');
  }

  private redisUnavailable(res: ServerResponse, error: unknown): void {
    this.options.logger.warn({ err: (error as Error).message }, 'sse routing unavailable: redis is not answering');
    res
      .writeHead(503, { 'content-type': 'application/json', 'retry-after': '2' })
      .end(JSON.stringify({ error: 'the SSE transport is unavailable: Redis, which routes its messages between replicas, is not answering; try again shortly' }));
  }

  private channel(sessionId: string): string {
    return `${this.options.channelPrefix}${sessionId}`;
  }

  private ownerKey(sessionId: string): string {
    return `${this.options.channelPrefix}owner:${sessionId}`;
  }
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'unknown session' }));
}
