/**
 * Starts the MCP server from environment variables: `node src/main.ts` (Node's type stripping on
 * Node 23.6+, or `node --import tsx` on Node 20). Exits 1 with a message naming the variable or
 * catalog entry when the configuration is wrong.
 */
import pg from 'pg';
import { createApp } from './app.ts';
import { migrate } from './audit/migrations.ts';
import { CatalogError, loadCatalog } from './catalog.ts';
import { ConfigError, loadConfig, pipedreamCredentials } from './config.ts';
import { createHttpServer } from './http-server.ts';
import { createLogger } from './logger.ts';
import type { PipedreamConnect } from './pipedream-connect.ts';
import { connectRedis, redisReady } from './redis-connection.ts';
import { shutDown } from './shutdown.ts';

const MIGRATION_ATTEMPTS = 30;
/** How long start waits for Redis before listening anyway (/ready says not ready until it is there). */
const REDIS_START_WAIT_MS = 10_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const tools = loadCatalog(config.TOOL_CATALOG);
  const credentials = pipedreamCredentials(config);
  const actions = tools.filter((tool) => tool.entry.kind === 'action').map((tool) => tool.entry.name);
  if (actions.length > 0 && credentials === undefined) {
    throw new ConfigError(
      `the catalog has Connect actions (${actions.join(', ')}), so PIPEDREAM_CLIENT_ID, PIPEDREAM_CLIENT_SECRET and PIPEDREAM_PROJECT_ID must be set`,
    );
  }

  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 10, connectionTimeoutMillis: 5_000 });
  // Idle connections die when Postgres restarts; the audit log retries, nothing else may crash.
  pool.on('error', (error) => logger.warn({ err: error.message }, 'postgres connection lost'));
  await migrateWithRetries(pool, logger);

  const redis = connectRedis(config.REDIS_URL, 'commands', logger);
  const redisSubscriber = connectRedis(config.REDIS_URL, 'subscriber', logger);
  await Promise.all([redisReady(redis, REDIS_START_WAIT_MS), redisReady(redisSubscriber, REDIS_START_WAIT_MS)]).catch((error: Error) =>
    logger.warn({ err: error.message }, 'redis not reachable yet; starting without it'),
  );

  const mcp = createApp({
    config,
    tools,
    pool,
    redis,
    redisSubscriber,
    connect: await connectFor(actions, credentials),
    logger,
  });
  const server = createHttpServer(mcp.app, config);
  server.listen(config.PORT, config.HOST, () => {
    logger.info({ port: config.PORT, host: config.HOST, tools: tools.map((tool) => tool.entry.name) }, 'mcp server listening');
  });

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal, sseSessions: mcp.legacySse.size, inFlight: mcp.tools.inFlight }, 'shutting down');
    // The listener stays open until the SSE streams are done: see shutDown.
    const { drained, auditLeft, sseClosed, exitCode } = await shutDown(
      mcp,
      server,
      { sseDrainMs: config.SSE_DRAIN_TIMEOUT_SECONDS * 1000, toolDrainMs: config.SHUTDOWN_TIMEOUT_MS },
      logger,
    );
    await Promise.allSettled([redis.quit(), redisSubscriber.quit(), pool.end()]);
    logger.info({ drained, auditLeft, sseClosed }, 'stopped');
    process.exitCode = exitCode;
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/**
 * Pipedream Connect, for the catalog's Connect actions. Without any there is nothing to run
 * through it, credentials or not, and the Pipedream SDK (some 12 MiB of heap) is not even loaded.
 */
async function connectFor(actions: readonly string[], credentials: ReturnType<typeof pipedreamCredentials>): Promise<PipedreamConnect | undefined> {
  if (actions.length === 0 || credentials === undefined) return undefined;
  const { PipedreamConnect } = await import('./pipedream-connect.ts');
  return new PipedreamConnect(credentials);
}

async function migrateWithRetries(pool: pg.Pool, logger: ReturnType<typeof createLogger>): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const applied = await migrate(pool);
      logger.info({ applied }, 'audit schema up to date');
      return;
    } catch (error) {
      if (attempt >= MIGRATION_ATTEMPTS) throw new Error(`cannot migrate the audit schema: ${(error as Error).message}`);
      logger.warn({ attempt, err: (error as Error).message }, 'postgres not reachable yet; retrying');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

main().catch((error: unknown) => {
  const known = error instanceof ConfigError || error instanceof CatalogError;
  process.stderr.write(`mcp-server: ${known ? (error as Error).message : (error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
