import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { asBridgeError, BridgeError } from './bridge-error.ts';
import type { Config } from './config.ts';
import { streamFinalState, streamRoomEvents } from './events.ts';
import { bearerAuth, hostCheck, originCheck, refuse } from './http-guards.ts';
import { createLogger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import type { RoomJoiner } from './room-joiner.ts';
import { advertiseUrl } from './placement/advertise-url.ts';
import { LocalPlacement } from './placement/local-placement.ts';
import { forwardToPeer, isForwarded } from './placement/peer-forward.ts';
import type { Peer, Placement, RoomLocation, TenReplica } from './placement/placement.ts';
import { recordState } from './placement/record-state.ts';
import { RedisPlacement } from './placement/redis-placement.ts';
import { requestLog, requestLogger } from './request-log.ts';
import { roomNameProblem } from './room-name.ts';
import type { RoomState } from './room-session.ts';
import { ForwardToPeer, Rooms } from './rooms.ts';
import { TenClient } from './ten-client.ts';

/**
 * The whole bridge from a configuration and a RoomJoiner: the controller HTTP API on a server of
 * its own. `src/main.ts` starts it with the browser joiner; tests (the bridge's, the console's)
 * start the real thing in-process with a scripted joiner.
 */

export interface BridgeOptions {
  readonly config: Config;
  /** What puts the agent into rooms; the bridge owns it from here and closes it on `close()`. */
  readonly joiner: RoomJoiner;
  /** @default - JSON lines on stdout at config.LOG_LEVEL */
  readonly logger?: Logger;
  /** How often the SSE stream sends a heartbeat comment. @default 15000 */
  readonly heartbeatMs?: number;
}

export interface DrainResult {
  /** Every room ended within the limit. */
  readonly drained: boolean;
  /** Rooms still running when the drain stopped them (the others ended by themselves). */
  readonly stoppedByDrain: number;
  /** Rooms that had not ended when the limit passed. */
  readonly left: number;
}

export interface Bridge {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  readonly rooms: Rooms;
  readonly placement: Placement;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /**
   * SIGTERM's drain: /ready turns 503, new rooms are refused with 503 "draining", running rooms
   * end by themselves or are stopped before `timeoutMs` runs out. The HTTP server keeps answering
   * (GET, DELETE, the SSE streams) until `close()`. @default timeoutMs - DRAIN_TIMEOUT_SECONDS
   */
  drain(timeoutMs?: number): Promise<DrainResult>;
  /** Stops every room now, closes the HTTP server (SSE streams included) and the joiner. Safe to call twice. */
  close(): Promise<void>;
}

/** What a drain keeps back, out of its limit, for stopping the rooms still running: TEN's /stop alone may take 2 s. */
export function drainStopMarginMs(timeoutMs: number): number {
  return Math.min(5_000, timeoutMs / 2);
}

export interface BridgeApp {
  readonly app: express.Express;
  readonly rooms: Rooms;
  readonly placement: Placement;
  readonly metrics: Metrics;
}

/** Leases in Redis when REDIS_URL is set (any number of replicas), else this replica alone. */
function placementFor(config: Config, tenReplicas: readonly TenReplica[], logger: Logger): Placement {
  const replicaId = config.BRIDGE_REPLICA_ID ?? hostname();
  if (config.REDIS_URL === undefined) return new LocalPlacement(replicaId, tenReplicas, config.TEN_WORKER_PORTS);
  return new RedisPlacement({ redisUrl: config.REDIS_URL, keyPrefix: config.VOICE_TIER_KEY_PREFIX, replicaId, replicas: tenReplicas, ports: config.TEN_WORKER_PORTS, logger });
}

/** The Express application alone, for a caller that runs its own server (`startBridge` is the usual way in). */
export function createBridgeApp(options: BridgeOptions & { readonly logger: Logger }): BridgeApp {
  const { config, joiner, logger } = options;
  const metrics = createMetrics();
  const tenReplicas = config.TEN_AGENT_URLS.map((address) => ({ ...address, client: new TenClient(address.apiUrl) }));
  const placement = placementFor(config, tenReplicas, logger);
  const rooms = new Rooms({ config, placement, tenReplicas, joiner, metrics, logger });

  /** Passes a room request to the replica that holds the room (or can take it). */
  const forward = (req: Request, res: Response, peer: Peer, reason: 'holder' | 'capacity') => {
    metrics.forwards.inc({ reason });
    return forwardToPeer(req, res, peer, placement.replicaId, (cause) => `could not reach bridge replica ${peer.id} at ${peer.url}, which ${reason === 'holder' ? 'runs' : 'could take'} this room (${cause})`);
  };

  /**
   * For a room this replica does not run: where it is. Live rooms elsewhere are forwarded
   * (unless this request was forwarded here, which answers from what the tier remembers).
   */
  const elsewhere = async (req: Request, res: Response, room: string): Promise<{ readonly state: RoomState } | 'answered' | undefined> => {
    if (!placement.shared) return undefined;
    let location: RoomLocation;
    try {
      location = await placement.locate(room);
    } catch (error) {
      const failure = asBridgeError(error);
      if (failure.retryAfterSeconds !== undefined) res.set('Retry-After', String(failure.retryAfterSeconds));
      refuse(res, failure.status, failure.message);
      return 'answered';
    }
    switch (location.kind) {
      case 'nowhere':
        return undefined;
      case 'peer':
        if (isForwarded(req)) return location.record === undefined ? undefined : { state: recordState(location.record) };
        await forward(req, res, location.peer, 'holder');
        return 'answered';
      case 'lost':
        return { state: recordState(location.record, location.reason) };
      case 'ended':
        return { state: recordState(location.record) };
    }
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestLog(logger));

  // Probes reveal nothing and need nothing: any Host, like the MCP server's (a kubelet probe
  // sends the pod IP, Railway's healthcheck.railway.app, the image's HEALTHCHECK 127.0.0.1).
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', (_req, res) => {
    const capacity = rooms.capacity();
    if (capacity.draining) res.status(503).json({ status: 'not ready', reason: 'draining for shutdown', replica: placement.replicaId, capacity });
    else res.json({ status: 'ready', replica: placement.replicaId, capacity });
  });
  app.get('/metrics', async (_req, res) => {
    // What the rooms hold now, read as the scrape comes rather than kept up to date on every change.
    for (const [state, count] of Object.entries(rooms.countByState())) metrics.rooms.set({ state }, count);
    for (const [state, count] of Object.entries(rooms.countTenSessionsByState())) metrics.tenSessions.set({ state }, count);
    metrics.participants.set(rooms.participantCount());
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.use(hostCheck(config.BRIDGE_ALLOWED_HOSTS));
  app.use(originCheck(config.BRIDGE_ALLOWED_ORIGINS));
  app.use('/rooms', bearerAuth(config.BRIDGE_API_TOKEN));

  // This replica's rooms, and how full every other replica said it was.
  app.get('/rooms', async (_req, res) => {
    const peers = await placement.peers().catch(() => []);
    res.json({ replica: placement.replicaId, rooms: rooms.list(), capacity: rooms.capacity(), peers });
  });

  app.post('/rooms/:room/agent', async (req, res) => {
    const room = validRoom(req, res);
    if (room === undefined) return;
    try {
      const { created, state } = await rooms.start(room, { forwarded: isForwarded(req), logger: requestLogger(res, logger) });
      res.status(created ? 201 : 200).json(state);
    } catch (error) {
      if (error instanceof ForwardToPeer) return forward(req, res, error.peer, error.reason);
      const failure = asBridgeError(error);
      if (failure.retryAfterSeconds !== undefined) res.set('Retry-After', String(failure.retryAfterSeconds));
      refuse(res, failure.status, failure.message);
    }
  });

  app.delete('/rooms/:room/agent', async (req, res) => {
    const room = validRoom(req, res);
    if (room === undefined) return;
    if (!rooms.isLive(room)) {
      const found = await elsewhere(req, res, room);
      if (found === 'answered') return;
      if (found?.state.state === 'lost') return refuse(res, 404, `no agent is in room ${room}: ${found.state.lastError}`);
    }
    const state = await rooms.stop(room, 'stopped by DELETE /rooms/:room/agent');
    if (state === undefined) return refuse(res, 404, `no agent is in room ${room}`);
    res.json(state);
  });

  app.get('/rooms/:room/agent', async (req, res) => {
    const room = validRoom(req, res);
    if (room === undefined) return;
    if (!rooms.isLive(room)) {
      const found = await elsewhere(req, res, room);
      if (found === 'answered') return;
      if (found !== undefined) return res.json(found.state);
    }
    const session = rooms.get(room);
    if (session === undefined) return refuse(res, 404, `no agent is in room ${room}`);
    res.json(session.snapshot());
  });

  app.get('/rooms/:room/agent/events', async (req, res) => {
    const room = validRoom(req, res);
    if (room === undefined) return;
    if (!rooms.isLive(room)) {
      const found = await elsewhere(req, res, room);
      if (found === 'answered') return;
      if (found !== undefined) return streamFinalState(res, found.state);
    }
    const session = rooms.get(room);
    if (session === undefined) return refuse(res, 404, `no agent is in room ${room}`);
    streamRoomEvents(res, session, options.heartbeatMs);
  });

  app.use((req, res) => refuse(res, 404, `no route ${req.method} ${req.path}`));
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const failure = asBridgeError(error, (message) => new BridgeError(500, `the bridge failed: ${message}`));
    requestLogger(res, logger).error({ err: failure.message }, 'request failed');
    if (!res.headersSent) refuse(res, failure.status, failure.message);
  });

  return { app, rooms, placement, metrics };
}

/** Builds the bridge and listens on config.HOST:config.PORT (PORT 0 picks a free port). */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const { config, joiner } = options;
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const { app, rooms, placement, metrics } = createBridgeApp({ config, joiner, logger, heartbeatMs: options.heartbeatMs });
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${urlHost(config.HOST)}:${port}`;
  const advertised = advertiseUrl(config.BRIDGE_ADVERTISE_URL, config.HOST, port);
  await placement.open(advertised, () => {
    const { rooms: held, roomsMax, accepting, draining } = rooms.capacity();
    return { rooms: held, roomsMax, accepting, draining };
  });
  logger.info(
    {
      host: config.HOST,
      port,
      roomsMax: config.ROOMS_MAX,
      graph: config.TEN_AGENT_GRAPH,
      replica: placement.replicaId,
      advertised,
      placement: placement.shared ? 'redis' : 'local',
      tenReplicas: config.TEN_AGENT_URLS.map((replica) => replica.name),
    },
    'bridge listening',
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    server,
    rooms,
    placement,
    metrics,
    logger,
    async drain(timeoutMs = config.DRAIN_TIMEOUT_SECONDS * 1000) {
      const result = await rooms.drain(timeoutMs, timeoutMs - drainStopMarginMs(timeoutMs));
      logger.info(result, result.drained ? 'drained' : 'drain limit passed with rooms still ending');
      return result;
    },
    close() {
      closing ??= (async () => {
        await rooms.stopAll('the bridge is closing');
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await Promise.all([joiner.close(), placement.close()]);
        logger.info('bridge closed');
      })();
      return closing;
    },
  };
}

/** Where a client on this machine reaches a server bound to `host`. */
function urlHost(host: string): string {
  if (host === '::' || host === '0.0.0.0') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** The room of the path, or undefined after answering 400 with the rule it breaks. */
function validRoom(req: Request, res: Response): string | undefined {
  const room = String(req.params['room'] ?? '');
  const problem = roomNameProblem(room);
  if (problem === undefined) return room;
  refuse(res, 400, `invalid room name ${JSON.stringify(room.slice(0, 80))}: ${problem}`);
  return undefined;
}
