import { listTools } from './mcp-tools.ts';
import type { Runtime } from './runtime.ts';
import { UpstreamError } from './upstream-error.ts';

/** What the smoke test answers: the tool count, or why the MCP server could not be used. */
export type ProbeResult =
  | { readonly ok: true; readonly tools: number; readonly latencyMs: number; readonly checkedAt: string }
  | { readonly ok: false; readonly status: number; readonly error: string; readonly checkedAt: string };

interface CachedProbe {
  readonly result: Promise<ProbeResult>;
  /** When it settled; undefined while it runs. */
  settledAt?: number;
}

// One cache per process, whichever route bundle loads this module (see runtime.ts).
const holder = globalThis as typeof globalThis & { __consoleMcpProbe?: CachedProbe };

async function probe(runtime: Runtime): Promise<ProbeResult> {
  const started = performance.now();
  try {
    // No end user: the MCP server counts the console's own probe apart from its users.
    const tools = await listTools(runtime.config);
    return { ok: true, tools: tools.length, latencyMs: Math.round(performance.now() - started), checkedAt: new Date().toISOString() };
  } catch (error) {
    const failure = error instanceof UpstreamError ? error : new UpstreamError('The tool server cannot be reached right now; try again in a moment.', 502);
    runtime.logger.warn({ err: (error as Error).message, cause: (failure.cause as Error | undefined)?.message }, 'MCP smoke probe failed');
    return { ok: false, status: failure.status, error: failure.message, checkedAt: new Date().toISOString() };
  }
}

/**
 * The MCP server's state for the smoke test, from at most one round trip per
 * MCP_PROBE_CACHE_SECONDS per replica however many ask: callers in the meantime share the probe
 * in flight or its result (a failure too, so a struggling server is not hammered).
 */
export function probeMcp(runtime: Runtime): Promise<ProbeResult> {
  const cached = holder.__consoleMcpProbe;
  const fresh = cached !== undefined && (cached.settledAt === undefined || Date.now() - cached.settledAt < runtime.config.MCP_PROBE_CACHE_SECONDS * 1000);
  if (fresh) return cached.result;
  const entry: CachedProbe = {
    result: probe(runtime).finally(() => {
      entry.settledAt = Date.now();
    }),
  };
  holder.__consoleMcpProbe = entry;
  return entry.result;
}
