import { createHash } from 'node:crypto';
import type { RequestListener, ServerResponse } from 'node:http';
// For its declaration of `req.auth` on Express requests, which the bearer guard sets.
import type {} from '@modelcontextprotocol/express';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { AuditLog } from './audit/audit-log.ts';
import { CallRateLimit } from './call-rate-limit.ts';
import { bearerAuth, findCaller, parseCallers } from './callers.ts';
import type { CatalogTool } from './catalog.ts';
import type { Config } from './config.ts';
import { endUser, expressGuard, hostCheck, jsonRpcError, originCheck, privateNetworkOnly, requestIdToTools, type Guard } from './http-guards.ts';
import { batchRules } from './json-rpc-batches.ts';
import { LegacySse } from './legacy-sse.ts';
import { isMcpPost, mcpEndpoint } from './mcp-endpoint.ts';
import { createMcpServer } from './mcp-protocol.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import type { PipedreamConnect } from './pipedream-connect.ts';
import { answerRequestError, jsonBody, requestErrors } from './request-body.ts';
import { RequestLog } from './request-log.ts';
import { streamableHttp } from './streamable-http.ts';
import { ToolService } from './tool-service.ts';

/** How soon a client refused a new SSE stream while this replica drains should try again. */
const DRAINING_RETRY_AFTER_SECONDS = 1;

export interface AppDependencies {
  readonly config: Config;
  readonly tools: readonly CatalogTool[];
  readonly pool: Pool;
  /** For commands and PUBLISH. */
  readonly redis: Redis;
  /** A second connection, in subscriber mode, for the legacy SSE routing. */
  readonly redisSubscriber: Redis;
  readonly connect: PipedreamConnect | undefined;
  readonly logger: Logger;
  /** Redis channel prefix of the SSE routing. @default 'mcp:sse:' */
  readonly channelPrefix?: string;
}

export interface McpApp {
  /** The HTTP request listener: POST /mcp on plain node:http (`src/mcp-endpoint.ts`), everything else on Express. */
  readonly app: RequestListener;
  readonly tools: ToolService;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  readonly legacySse: LegacySse;
  /**
   * Marks the app as draining: /ready answers 503 so load balancers move away, new legacy SSE
   * streams get 503 with Retry-After, and responses ask for their connection to be closed, so
   * clients come back on a new one (through a load balancer, to a replica that is ready).
   * Everything else goes on working: the streams already open, their messages, tool calls.
   */
  startShutdown(): void;
  /**
   * Closes the SSE streams still open, waits for running tool calls (up to `timeoutMs`) and the
   * answers still being written at /mcp, flushes the audit log; `auditLeft` records could not be
   * written and went to the log instead.
   * (`src/shutdown.ts` first gives the streams time to end on their own.)
   */
  drain(timeoutMs: number): Promise<{ drained: boolean; auditLeft: number }>;
}

/**
 * The HTTP application: health and operations endpoints, then the authenticated tool endpoints
 * (Streamable HTTP at /mcp, the legacy SSE transport, and POST /execute-tool), all of them on the
 * same tool path. A tool endpoint checks, in order, the Host, the Origin, the token, the rate
 * limit, and only then reads the body.
 */
export function createApp(deps: AppDependencies): McpApp {
  const { config, logger } = deps;
  const callers = parseCallers(config.MCP_AUTH_TOKENS);
  const metrics = createMetrics();
  const audit = new AuditLog(deps.pool, { maxBuffered: config.AUDIT_BUFFER_MAX, logger, counters: metrics.audit });
  const tools = new ToolService({
    tools: deps.tools,
    connect: deps.connect,
    audit,
    metrics,
    logger,
    // A deployment-stable secret key, so digests of equal arguments match across replicas.
    digestKey: createHash('sha256').update(`audit-digest:${config.MCP_AUTH_TOKENS}`).digest('hex'),
    argumentLimits: { maxDepth: config.ARGUMENT_MAX_DEPTH, maxBytes: config.ARGUMENT_MAX_BYTES },
  });
  const legacySse = new LegacySse({
    publisher: deps.redis,
    subscriber: deps.redisSubscriber,
    channelPrefix: deps.channelPrefix ?? 'mcp:sse:',
    createServer: () => createMcpServer(tools, 'sse'),
    logger,
    metrics,
  });
  const streamable = streamableHttp(tools, logger);
  const rateLimit = new CallRateLimit(config.RATE_LIMIT_PER_MINUTE);
  // A line per request, except for tool calls, which have their own (see src/request-log.ts).
  const requestLog = new RequestLog(logger, (name) => tools.has(name));
  const bodyLimits = { maxBytes: config.BODY_LIMIT_BYTES, timeoutMs: config.BODY_TIMEOUT_MS };
  const body = jsonBody(bodyLimits, requestLog.loggerOf);
  let stopping = false;
  // While draining, a kept-alive connection would bring this replica the client's next requests
  // too; closing it after each answer sends them through the load balancer to a ready replica.
  const closeWhileDraining = (res: ServerResponse) => {
    if (stopping) res.setHeader('Connection', 'close');
  };

  // The checks of the tool endpoints, in the order they run; each is one function, which the
  // Express routes and the plain node:http endpoint at /mcp both call.
  const host = hostCheck(config.MCP_ALLOWED_HOSTS);
  const origin = originCheck(config.MCP_ALLOWED_ORIGINS);
  const authentication: Guard[] = [bearerAuth(callers), endUser(config.MCP_TRUSTED_CALLERS), requestIdToTools, rateLimit.admit];
  const mcpAfterBody: Guard[] = [batchRules, rateLimit.chargeBatch];

  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    closeWhileDraining(res);
    next();
  });
  app.use(requestLog.middleware());

  // Liveness reveals nothing and needs nothing: any Host (Railway probes with healthcheck.railway.app).
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', async (_req, res) => {
    const [postgres, redis] = await Promise.all([reachable(() => deps.pool.query('SELECT 1')), reachable(() => deps.redis.ping())]);
    const oldestPendingMs = audit.oldestPendingMs;
    const checks = {
      catalog: deps.tools.length > 0,
      postgres,
      // Both connections: the SSE routing subscribes on the second.
      redis: redis && deps.redisSubscriber.status === 'ready',
      // Records waiting longer than AUDIT_MAX_LAG_MS mean the audit log is not keeping up.
      audit: oldestPendingMs <= config.AUDIT_MAX_LAG_MS,
    };
    const ready = !stopping && Object.values(checks).every(Boolean);
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : stopping ? 'stopping' : 'not ready',
      checks,
      audit: { pending: audit.pending, oldestPendingSeconds: oldestPendingMs / 1000 },
      // The streams this replica holds: what a drain waits for.
      sse: { sessions: legacySse.size },
    });
  });
  app.get('/metrics', async (_req, res) => {
    // Gauges of what the server counts anyway, set when scraped rather than on every change.
    metrics.inFlight.set(tools.inFlight);
    metrics.auditPending.set(audit.pending);
    metrics.auditOldestPendingAge.set(audit.oldestPendingMs / 1000);
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.use(expressGuard(host));
  app.use(expressGuard(origin));

  const authenticated = authentication.map(expressGuard);

  // Stateless Streamable HTTP in both protocol eras (src/streamable-http.ts), so any replica can
  // answer. Served by `mcpEndpoint` below; this route takes the spellings of /mcp it leaves to Express.
  app.post('/mcp', ...authenticated, ...body, ...mcpAfterBody.map(expressGuard), (req, res) => streamable.serve(req, res));
  app.all('/mcp', (_req, res) => jsonRpcError(res.set('Allow', 'POST'), 405, -32000, 'Method not allowed: this server is stateless, POST only'));

  app.post('/execute-tool', ...authenticated, ...body, async (req, res) => {
    const { tool, args } = (req.body ?? {}) as { tool?: unknown; args?: unknown };
    if (typeof tool !== 'string' || (args !== undefined && (args === null || typeof args !== 'object' || Array.isArray(args)))) {
      res.status(400).json({ error: 'expected a JSON body {"tool": "<name>", "args": {…}}' });
      return;
    }
    if (!tools.has(tool)) {
      res.status(404).json({ error: `unknown tool ${tool}` });
      return;
    }
    const auth = req.auth;
    const externalUserId = String(auth?.extra?.['externalUserId'] ?? auth?.clientId);
    const result = await tools.call(tool, args ?? {}, { caller: auth?.clientId ?? '', externalUserId, transport: 'rest', requestId: String(req.id) });
    res.json(result);
  });

  // The legacy SSE transport authenticates by the token in its path (the TEN client sends no
  // headers) and is served only on the private network.
  const pathToken = (req: Request, res: Response, next: NextFunction) => {
    const caller = findCaller(callers, String(req.params['token'] ?? ''));
    if (caller === undefined) {
      res.status(401).json({ error: 'unknown token' });
      return;
    }
    req.auth = { token: '', clientId: caller.name, scopes: [], extra: { externalUserId: caller.name } };
    next();
  };
  // Express answers HEAD with the GET route; for a stream that never ends, that would open a
  // session whose answer never arrives.
  app.head('/sse/:token', (_req, res) => {
    res.set('Allow', 'GET').status(405).end();
  });
  app.get('/sse/:token', privateNetworkOnly(), pathToken, async (req, res) => {
    if (stopping) {
      // The client opens its stream again; by then the load balancer sends it to a ready replica.
      res
        .status(503)
        .set('Retry-After', String(DRAINING_RETRY_AFTER_SECONDS))
        .json({ error: 'this replica is draining (shutting down) and opens no new SSE streams; connect again to reach another replica' });
      return;
    }
    await legacySse.open(res, `/messages/${encodeURIComponent(String(req.params['token']))}`, req.auth!);
  });
  app.post('/messages/:token', privateNetworkOnly(), pathToken, expressGuard(rateLimit.admit), ...body, async (req, res) => {
    const sessionId = req.query['sessionId'];
    if (typeof sessionId !== 'string') {
      res.status(400).json({ error: 'sessionId query parameter is required' });
      return;
    }
    await legacySse.post(req, res, sessionId, req.auth!);
  });

  app.use(requestErrors(bodyLimits, requestLog.loggerOf));

  const mcpPost = mcpEndpoint({
    begin: (req, res) => {
      closeWhileDraining(res);
      requestLog.begin(req, res);
    },
    beforeBody: [host, origin, ...authentication],
    body,
    afterBody: mcpAfterBody,
    serve: streamable.serve,
    answerError: (error, req, res) => answerRequestError(error as Error, req, res, bodyLimits, requestLog.loggerOf),
  });

  return {
    app: (req, res) => {
      if (isMcpPost(req)) void mcpPost(req, res);
      else app(req, res);
    },
    tools,
    audit,
    metrics,
    legacySse,
    startShutdown: () => {
      stopping = true;
    },
    drain: async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      // Closing a stream aborts the calls it is waiting for, so the tool drain can end.
      await legacySse.closeAll();
      const toolsDrained = await tools.drain(timeoutMs);
      // The answers of calls that have just finished are still to be written.
      const answersSent = await streamable.drain(Math.max(1_000, deadline - Date.now()));
      const drained = toolsDrained && answersSent;
      const auditLeft = await audit.close(Math.max(1_000, deadline - Date.now()));
      return { drained, auditLeft };
    },
  };
}

/** True when the check answers within two seconds. */
async function reachable(check: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([check(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), 2_000)))]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
