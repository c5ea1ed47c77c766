import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import packageJson from '../package.json' with { type: 'json' };

const MCP_SDK = '@modelcontextprotocol/server';

/**
 * The version of the MCP SDK this process loaded: the package.json of the package that module
 * resolution finds (not the range we pin, nor a copy that could go stale). The package's exports
 * do not include its package.json, so the search walks up from its entry point.
 */
function installedVersion(name: string): string {
  let directory = dirname(createRequire(import.meta.url).resolve(name));
  for (;;) {
    try {
      const found = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (found.name === name && typeof found.version === 'string') return found.version;
    } catch {
      // No package.json at this level (dist/): keep walking up.
    }
    const parent = dirname(directory);
    if (parent === directory) return 'unknown';
    directory = parent;
  }
}

/** The server's Prometheus metrics, in a registry of its own (two servers can share a process in tests). */
export interface Metrics {
  readonly registry: Registry;
  readonly toolCalls: Counter<'tool' | 'outcome' | 'transport'>;
  readonly toolDuration: Histogram<'tool' | 'outcome'>;
  readonly toolErrors: Counter<'tool' | 'error_class'>;
  readonly inFlight: Gauge;
  readonly auditPending: Gauge;
  readonly auditOldestPendingAge: Gauge;
  readonly audit: {
    readonly written: Counter;
    readonly sanitized: Counter;
    readonly rejected: Counter;
    readonly writeFailures: Counter;
    readonly dropped: Counter;
    readonly unwritten: Counter;
  };
  readonly sseSessions: Gauge;
}

/**
 * This build's version for mcp_server_build_info: BUILD_VERSION, the image's content tag the
 * deployment sets (sha-…), or the package's version where nothing sets it (a local run).
 */
export function buildVersion(env: NodeJS.ProcessEnv = process.env): string {
  return env['BUILD_VERSION'] || packageJson.version;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mcp_server_' });
  new Gauge({
    name: 'mcp_server_build_info',
    help: 'Always 1; the labels say which build of the server runs (BUILD_VERSION, else its package.json version), with which MCP SDK (@modelcontextprotocol/server, as installed).',
    labelNames: ['version', 'mcp_sdk_version'],
    registers: [registry],
  }).set({ version: buildVersion(), mcp_sdk_version: installedVersion(MCP_SDK) }, 1);
  return {
    registry,
    toolCalls: new Counter({
      name: 'mcp_tool_calls_total',
      help: 'Tool calls by tool, outcome and transport.',
      labelNames: ['tool', 'outcome', 'transport'],
      registers: [registry],
    }),
    toolDuration: new Histogram({
      name: 'mcp_tool_call_duration_seconds',
      help: 'Tool call latency, including the upstream workflow or action.',
      labelNames: ['tool', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    toolErrors: new Counter({
      name: 'mcp_tool_errors_total',
      help: 'Failed tool calls by tool and error class.',
      labelNames: ['tool', 'error_class'],
      registers: [registry],
    }),
    inFlight: new Gauge({ name: 'mcp_tool_calls_in_flight', help: 'Tool calls running now.', registers: [registry] }),
    auditPending: new Gauge({ name: 'mcp_audit_records_pending', help: 'Audit records not yet written to Postgres.', registers: [registry] }),
    auditOldestPendingAge: new Gauge({
      name: 'mcp_audit_oldest_pending_age_seconds',
      help: 'How long the oldest audit record not yet written has waited (0 when none waits).',
      registers: [registry],
    }),
    audit: {
      written: new Counter({ name: 'mcp_audit_records_written_total', help: 'Audit rows inserted into Postgres, placeholders included.', registers: [registry] }),
      sanitized: new Counter({
        name: 'mcp_audit_records_sanitized_total',
        help: 'Audit records whose argument names had characters escaped (\\uXXXX) to be storable.',
        registers: [registry],
      }),
      rejected: new Counter({
        name: 'mcp_audit_records_rejected_total',
        help: 'Audit records Postgres refused even escaped; a placeholder row was stored for each.',
        registers: [registry],
      }),
      writeFailures: new Counter({
        name: 'mcp_audit_write_failures_total',
        help: 'Audit batch writes that failed because Postgres was unreachable or unavailable (each is retried).',
        registers: [registry],
      }),
      dropped: new Counter({
        name: 'mcp_audit_records_dropped_total',
        help: 'Audit records pushed out of the full buffer; each was written to the log instead.',
        registers: [registry],
      }),
      unwritten: new Counter({
        name: 'mcp_audit_records_unwritten_total',
        help: 'Audit records written to the log instead of Postgres: still queued at shutdown, or refused even as a placeholder.',
        registers: [registry],
      }),
    },
    sseSessions: new Gauge({ name: 'mcp_sse_sessions', help: 'Open legacy SSE sessions on this replica.', registers: [registry] }),
  };
}
