import type { Runtime } from './runtime.ts';

export interface DependencyStatus {
  readonly name: string;
  readonly up: boolean;
  readonly latencyMs: number;
}

const CHECK_TIMEOUT_MS = 2_000;

/** Times one check; a failure or a check slower than two seconds counts as down. */
async function timed(name: string, check: (signal: AbortSignal) => Promise<unknown>): Promise<DependencyStatus> {
  const started = performance.now();
  const signal = AbortSignal.timeout(CHECK_TIMEOUT_MS);
  let up: boolean;
  try {
    await Promise.race([
      check(signal),
      new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('timeout')), { once: true })),
    ]);
    up = true;
  } catch {
    up = false;
  }
  return { name, up, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
}

async function httpOk(url: URL, signal: AbortSignal): Promise<void> {
  const response = await fetch(url, { signal, redirect: 'manual' });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`status ${response.status}`);
}

export function checkPostgres(runtime: Runtime): Promise<DependencyStatus> {
  return timed('postgres', () => runtime.pool.query('SELECT 1'));
}

export function checkRedis(runtime: Runtime): Promise<DependencyStatus> {
  return timed('redis', () => runtime.redis.ping());
}

/**
 * Every dependency, in parallel: the MCP server by its health endpoint, the agent bridge by its
 * readiness (it answers 503 while it cannot take rooms: its browser is down, or it is draining),
 * Jitsi by the script the console loads from it, Postgres and Redis by a round trip.
 */
export function checkAll(runtime: Runtime): Promise<DependencyStatus[]> {
  const { config } = runtime;
  return Promise.all([
    timed('mcp-server', (signal) => httpOk(new URL('/health', config.MCP_SERVER_URL), signal)),
    timed('agent-bridge', (signal) => httpOk(new URL('/ready', config.AGENT_BRIDGE_URL), signal)),
    timed('jitsi', (signal) => httpOk(new URL('/external_api.js', config.JITSI_PUBLIC_URL), signal)),
    checkPostgres(runtime),
    checkRedis(runtime),
  ]);
}
