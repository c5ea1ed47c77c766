import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import packageJson from '../package.json' with { type: 'json' };
import { SIGN_IN_ERRORS } from './sign-in-errors.ts';

/**
 * The console's Prometheus metrics: one registry for the process, served by the private metrics
 * listener (metrics-server.ts), never on the public port. Next.js bundles the route code and the
 * instrumentation hook separately, so a module-level registry would be two registries: the one
 * registry lives on globalThis, like the runtime (runtime.ts).
 */
export interface ConsoleMetrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly httpDuration: Histogram<'route' | 'method'>;
  readonly signIns: Counter<'outcome'>;
  readonly agentStarts: Counter<'outcome'>;
}

const holder = globalThis as typeof globalThis & { __consoleMetrics?: ConsoleMetrics };

export function consoleMetrics(): ConsoleMetrics {
  holder.__consoleMetrics ??= createMetrics();
  return holder.__consoleMetrics;
}

/**
 * This build's version for console_build_info: BUILD_VERSION, the image's content tag the
 * deployment sets (sha-…), or the package's version where nothing sets it (a local run).
 */
export function buildVersion(env: NodeJS.ProcessEnv = process.env): string {
  return env['BUILD_VERSION'] || packageJson.version;
}

function createMetrics(): ConsoleMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'console_' });
  new Gauge({
    name: 'console_build_info',
    help: "Always 1; the label says which build of the console runs (BUILD_VERSION, else its package.json's version).",
    labelNames: ['version'],
    registers: [registry],
  }).set({ version: buildVersion() }, 1);
  const signIns = new Counter({
    name: 'console_sign_ins_total',
    help: 'Sign-in callbacks by outcome: ok, or why it failed (the sign-in error code; session_store when the session could not be stored).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  // Every outcome known in advance starts at 0, so a rate() sees the first failure.
  for (const outcome of ['ok', ...Object.keys(SIGN_IN_ERRORS), 'session_store']) signIns.inc({ outcome }, 0);
  return {
    registry,
    httpRequests: new Counter({
      name: 'console_http_requests_total',
      help: "API requests by route (the route's path pattern), method and answered status.",
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'console_http_request_duration_seconds',
      help: 'Time from an API request to its answer (for the event stream: to the start of the stream).',
      labelNames: ['route', 'method'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 75],
      registers: [registry],
    }),
    signIns,
    agentStarts: new Counter({
      name: 'console_agent_starts_total',
      help: "Agent starts by outcome: ok, the console's refusal (conflict, forbidden, invalid, rejected), or the agent bridge's failure class (unreachable, timeout, unavailable, refused, failed).",
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}
