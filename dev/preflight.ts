import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { adminUrl } from './dev-database.ts';
import { FRONTEND_METRICS_PORT_VARIABLE, portVariable, whereIs, type DevProcess, type DevSettings } from './settings.ts';

/** How to start each store on this machine (Debian's packages, as .ci/run starts them). */
export const START_POSTGRES = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';
export const START_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no';

const STORE_TIMEOUT_MS = 3_000;

/**
 * Everything `npm run dev` needs before it starts anything: PostgreSQL and Redis answering, the
 * bridge's Chromium, and a free port for every process. Returns one line per problem, all of
 * them, so one run says everything that is missing.
 */
export async function preflight(settings: DevSettings, processes: readonly DevProcess[], tenWorkerPorts: readonly number[], frontendMetricsPort?: number): Promise<string[]> {
  const checks: Array<Promise<string | undefined>> = [checkPostgres(settings.postgresUrl), checkRedis(settings.redisUrl)];
  if (processes.includes('jitsi-agent-bridge')) checks.push(Promise.resolve(checkChromium(settings.chromiumPath)));
  for (const name of processes) {
    checks.push(portInUse(settings.ports[name]).then((inUse) => (inUse ? `port ${settings.ports[name]} (${name}) is in use: stop what holds it or set ${portVariable(name)}` : undefined)));
  }
  if (frontendMetricsPort !== undefined) {
    checks.push(portInUse(frontendMetricsPort).then((inUse) => (inUse ? `port ${frontendMetricsPort} (the console's metrics) is in use: stop what holds it or set ${FRONTEND_METRICS_PORT_VARIABLE}` : undefined)));
  }
  if (processes.includes('ten-agent')) {
    for (const port of tenWorkerPorts) {
      checks.push(portInUse(port).then((inUse) => (inUse ? `port ${port} (a TEN session's websocket) is in use: stop what holds it or set DEV_TEN_WORKER_PORTS` : undefined)));
    }
  }
  return (await Promise.all(checks)).filter((problem): problem is string => problem !== undefined);
}

/** The one message a failed preflight prints. */
export function preflightMessage(problems: readonly string[]): string {
  return `npm run dev cannot start; nothing was started:\n${problems.map((problem) => `  - ${problem}`).join('\n')}\n`;
}

async function checkPostgres(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: adminUrl(url), connectionTimeoutMillis: STORE_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL is not answering at ${whereIs(url)} (DEV_POSTGRES_URL): ${reason(error)}. Start it with: ${START_POSTGRES}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRedis(url: string): Promise<string | undefined> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: STORE_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // ioredis rejects with "Connection is closed."; the socket's own error says why.
  let socketError: unknown;
  client.on('error', (error) => (socketError ??= error));
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    return `Redis is not answering at ${whereIs(url)} (DEV_REDIS_URL): ${reason(socketError ?? error)}. Start it with: ${START_REDIS}`;
  } finally {
    client.disconnect();
  }
}

function checkChromium(path: string): string | undefined {
  try {
    accessSync(path, constants.X_OK);
    return undefined;
  } catch {
    return `Chromium is missing at ${path} (CHROMIUM_PATH), and the Jitsi agent bridge runs it: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`;
  }
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(true));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
  });
}

/** The error's own words, without a stack: "connect ECONNREFUSED 127.0.0.1:5432". */
function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reason(error.errors[0]);
  const message = (error instanceof Error ? error.message : String(error)).replace(/\.$/, '');
  return message === '' ? String((error as NodeJS.ErrnoException).code ?? 'no answer') : message;
}
