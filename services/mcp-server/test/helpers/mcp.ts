import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Client, StreamableHTTPClientTransport, type VersionNegotiationOptions } from '@modelcontextprotocol/client';
import pg from 'pg';
import { createApp, type McpApp } from '../../src/app.ts';
import { migrate } from '../../src/audit/migrations.ts';
import { parseCatalog } from '../../src/catalog.ts';
import { loadConfig } from '../../src/config.ts';
import { createHttpServer } from '../../src/http-server.ts';
import { createLogger } from '../../src/logger.ts';
import { PipedreamConnect } from '../../src/pipedream-connect.ts';
import { connectRedis, redisReady } from '../../src/redis-connection.ts';
import { shutDown, type ShutdownLimits, type ShutdownOutcome } from '../../src/shutdown.ts';
import type { FakePipedream } from '../fakes/fake-pipedream.ts';

/** The shared PostgreSQL and Redis of this machine (and of CI). */
export const POSTGRES_ADMIN_URL = process.env['TEST_POSTGRES_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export const TOKENS = {
  console: 'console-token-7f3a9c2e5b8d1f4a',
  tenAgent: 'ten-agent-token-2b6e8a1c9d4f7e3b',
  rotated: 'console-token-next-5c1e7a3b9f2d8e6a',
} as const;

export const WORKFLOW_TOKEN = 'workflow-bearer-9a8b7c6d5e4f3a2b';

/** A fresh database on the shared server, dropped by `drop()`. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `mcp_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** The tool catalog the tests use: three workflows (fast, slow, failing) and one Connect action. */
export function testCatalog(fake: FakePipedream) {
  return {
    tools: [
      {
        name: 'lookup_order',
        kind: 'workflow',
        title: 'Order lookup',
        description: 'Finds an order by its number and says where it is.',
        url: `${fake.url}/workflows/lookup-order`,
        tokenEnv: 'LOOKUP_ORDER_TOKEN',
        timeoutMs: 2_000,
        annotations: { readOnlyHint: true, idempotentHint: true },
        inputSchema: {
          type: 'object',
          properties: { order_id: { type: 'string', title: 'Order number', pattern: '^[A-Z0-9-]{3,20}$' } },
          required: ['order_id'],
          additionalProperties: false,
        },
      },
      {
        name: 'slow_report',
        kind: 'workflow',
        title: 'Sales report',
        description: 'Builds the sales report.',
        url: `${fake.url}/workflows/slow-report`,
        timeoutMs: 300,
        inputSchema: { type: 'object', properties: {} },
      },
      {
        name: 'flaky_service',
        kind: 'workflow',
        title: 'Inventory check',
        description: 'Checks stock.',
        url: `${fake.url}/workflows/flaky`,
        inputSchema: { type: 'object', properties: { sku: { type: 'string' } } },
      },
      {
        name: 'send_slack_message',
        kind: 'action',
        title: 'Slack message',
        description: 'Posts a message to the team channel.',
        app: 'slack',
        actionKey: 'slack-send-message',
        fixedProps: { channel: 'C0TEAM' },
        annotations: { destructiveHint: false },
        inputSchema: {
          type: 'object',
          properties: { text: { type: 'string', title: 'Message' }, channel: { type: 'string' } },
          required: ['text'],
        },
      },
    ],
  };
}

export interface RunningServer {
  readonly url: string;
  readonly mcp: McpApp;
  readonly pool: pg.Pool;
  readonly logs: string[];
  /** The HTTP server, made by the same function as in production. */
  readonly httpServer: Server;
  /**
   * Shuts down as SIGTERM does; `timeoutMs` bounds the tool drain (@default 5000), the SSE
   * streams get SSE_DRAIN_TIMEOUT_SECONDS (0 unless a test sets it in `env`; `options` overrides).
   */
  close(timeoutMs?: number, options?: Partial<Pick<ShutdownLimits, 'sseDrainMs' | 'progressIntervalMs'>>): Promise<ShutdownOutcome>;
}

export interface StartOptions {
  readonly fake: FakePipedream;
  readonly databaseUrl: string;
  /** Shared by instances that must route SSE messages to each other. */
  readonly channelPrefix?: string;
  readonly env?: Record<string, string>;
  readonly catalog?: unknown;
  /** Another Redis than the shared one (a private one a test restarts). @default REDIS_URL */
  readonly redisUrl?: string;
}

/** Starts the app in this process on 127.0.0.1 with real Postgres and Redis; logs are captured. */
export async function startMcpServer(options: StartOptions): Promise<RunningServer> {
  const env: Record<string, string | undefined> = {
    MCP_AUTH_TOKENS: `console:${TOKENS.console},ten-agent:${TOKENS.tenAgent},console:${TOKENS.rotated}`,
    MCP_TRUSTED_CALLERS: 'console',
    MCP_ALLOWED_HOSTS: 'localhost,127.0.0.1,mcp-server',
    MCP_ALLOWED_ORIGINS: 'https://console.example.com',
    TOOL_CATALOG: 'inline',
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl ?? REDIS_URL,
    PIPEDREAM_CLIENT_ID: options.fake.clientId,
    PIPEDREAM_CLIENT_SECRET: options.fake.clientSecret,
    PIPEDREAM_PROJECT_ID: options.fake.projectId,
    PIPEDREAM_PROJECT_ENVIRONMENT: 'development',
    PIPEDREAM_BASE_URL: options.fake.url,
    LOG_LEVEL: 'info',
    LOOKUP_ORDER_TOKEN: WORKFLOW_TOKEN,
    // Suites leave streams open at the end; only the drain tests wait for them.
    SSE_DRAIN_TIMEOUT_SECONDS: '0',
    ...options.env,
  };
  const config = loadConfig(env);
  const logs: string[] = [];
  const logger = createLogger(config.LOG_LEVEL, new Writable({ write: (chunk, _encoding, done) => (logs.push(String(chunk)), done()) }));
  const tools = parseCatalog(options.catalog ?? testCatalog(options.fake), 'test catalog', env);
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, connectionTimeoutMillis: 2_000 });
  pool.on('error', () => undefined);
  await migrate(pool);
  const redis = connectRedis(config.REDIS_URL, 'commands', logger);
  const redisSubscriber = connectRedis(config.REDIS_URL, 'subscriber', logger);
  await Promise.all([redisReady(redis, 5_000), redisReady(redisSubscriber, 5_000)]);
  const mcp = createApp({
    config,
    tools,
    pool,
    redis,
    redisSubscriber,
    connect: new PipedreamConnect({
      clientId: options.fake.clientId,
      clientSecret: options.fake.clientSecret,
      projectId: options.fake.projectId,
      projectEnvironment: 'development',
      baseUrl: options.fake.url,
    }),
    logger,
    channelPrefix: options.channelPrefix ?? `mcp-test:${randomBytes(4).toString('hex')}:`,
  });
  const server = createHttpServer(mcp.app, config);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    mcp,
    pool,
    logs,
    httpServer: server,
    close: async (timeoutMs = 5_000, closeOptions = {}) => {
      const limits = { sseDrainMs: config.SSE_DRAIN_TIMEOUT_SECONDS * 1000, toolDrainMs: timeoutMs, ...closeOptions };
      const outcome = await shutDown(mcp, server, limits, logger);
      await Promise.allSettled([redis.quit(), redisSubscriber.quit(), pool.end()]);
      return outcome;
    },
  };
}

/**
 * An MCP client connected over Streamable HTTP with a bearer token: a 2025-11-25 client unless
 * `versionNegotiation` asks it to probe for 2026-07-28 (`{ mode: 'auto' }`) or pin it.
 */
export async function connectClient(url: string, token: string, headers: Record<string, string> = {}, versionNegotiation?: VersionNegotiationOptions): Promise<Client> {
  const client = new Client({ name: 'mcp-server-tests', version: '1.0.0' }, versionNegotiation !== undefined ? { versionNegotiation } : {});
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', url), {
    requestInit: { headers: { authorization: `Bearer ${token}`, ...headers } },
  });
  await client.connect(transport);
  return client;
}

/** Waits until the audit log has written everything it queued. */
export async function auditSettled(mcp: McpApp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (mcp.audit.pending > 0) {
    if (Date.now() > deadline) throw new Error(`audit still has ${mcp.audit.pending} records pending`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
