import { targetsOf } from '../charts/targets/index.ts';
import type { StackEnvironment, StackService, Target } from '../constructs/index.ts';
import { describeNetworkError } from './network-error.ts';
import { CliError } from './cli-error.ts';
import { environmentByName } from './environment-by-name.ts';
import { formatTable } from './report-table.ts';

/** A health endpoint reachable from outside: a public service's health path on its public URL on one target. */
export interface HealthEndpoint {
  readonly service: string;
  readonly target: Target;
  readonly url: string;
}

/** A public service on a target whose health cannot be checked from outside, and why. */
export interface SkippedEndpoint {
  readonly service: string;
  readonly target: Target;
  readonly reason: string;
}

export interface CheckResult {
  readonly ok: boolean;
  readonly httpStatus?: number;
  readonly latencyMs: number;
  /** Why the check failed without an HTTP answer: `no answer within 5 s`, `connect ECONNREFUSED 10.0.0.5:8080`, … */
  readonly error?: string;
}

/**
 * The health path of a public service, when it is served on the public HTTP port (the only one
 * a public URL reaches); otherwise why not.
 */
function publicHealthPath(service: StackService, publicPort: number): { path: string } | { reason: string } {
  const http = service.data.healthCheck?.http;
  if (http === undefined) return { reason: 'no HTTP health check (only an exec check inside the container)' };
  if (http.port !== publicPort) return { reason: `health is served on port ${http.port}, but the public URL reaches port ${publicPort}` };
  return { path: http.path };
}

/**
 * Every health endpoint of an environment that can be checked from outside, per target it
 * renders, on the public origin each target gives a service (Kubernetes' Ingress hostname,
 * Railway's custom domain, Compose's published port on the environment's domain).
 */
export function healthEndpoints(environment: StackEnvironment): { endpoints: HealthEndpoint[]; skipped: SkippedEndpoint[] } {
  const endpoints: HealthEndpoint[] = [];
  const skipped: SkippedEndpoint[] = [];
  for (const target of targetsOf(environment)) {
    const reachable = target.publicEndpoints(environment);
    for (const { service, origin, port } of reachable.endpoints) {
      const health = publicHealthPath(service, port);
      if ('path' in health) endpoints.push({ service: service.name, target: target.setting, url: `${origin}${health.path}` });
      else skipped.push({ service: service.name, target: target.setting, reason: health.reason });
    }
    for (const { service, reason } of reachable.unchecked) skipped.push({ service: service.name, target: target.setting, reason });
  }
  const targetOrder = (target: Target) => environment.settings.targets.indexOf(target);
  const byTargetThenService = (a: { target: Target; service: string }, b: { target: Target; service: string }) =>
    targetOrder(a.target) - targetOrder(b.target) || a.service.localeCompare(b.service);
  return { endpoints: endpoints.sort(byTargetThenService), skipped: skipped.sort(byTargetThenService) };
}

/**
 * `--map-origin from=to`: sends requests for one origin to another (a port-forward, a tunnel, a
 * local test server). Both sides are origins such as `https://host` or `http://127.0.0.1:8080`.
 */
export function parseOriginMap(entries: readonly string[] = []): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of entries) {
    const separator = entry.indexOf('=');
    const from = separator === -1 ? '' : entry.slice(0, separator);
    const to = separator === -1 ? '' : entry.slice(separator + 1);
    let fromOrigin: string;
    let toOrigin: string;
    try {
      fromOrigin = new URL(from).origin;
      toOrigin = new URL(to).origin;
    } catch {
      throw new CliError(`--map-origin needs <from>=<to> with two origins such as https://console.example.com=http://127.0.0.1:3000, got "${entry}"`);
    }
    map.set(fromOrigin, toOrigin);
  }
  return map;
}

/** The URL a check actually requests, after `--map-origin`. */
export function mappedUrl(url: string, originMap: ReadonlyMap<string, string>): string {
  const parsed = new URL(url);
  const replacement = originMap.get(parsed.origin);
  return replacement === undefined ? url : `${replacement}${parsed.pathname}${parsed.search}`;
}

/** One GET; healthy on a 2xx answer within `timeoutMs`. */
export async function checkUrl(url: string, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { 'User-Agent': 'voice-agent-gitops health' } });
    await response.body?.cancel().catch(() => undefined);
    return { ok: response.status >= 200 && response.status < 300, httpStatus: response.status, latencyMs: latency() };
  } catch (error) {
    return { ok: false, latencyMs: latency(), error: describeNetworkError(error, timeoutMs) };
  }
}

/** How a check reads in a table: `200 ok`, `503 failing`, `no answer within 5 s`. */
export function describeCheck(result: CheckResult): string {
  if (result.httpStatus !== undefined) return `${result.httpStatus} ${result.ok ? 'ok' : 'failing'}`;
  return result.error ?? 'failing';
}

export interface HealthOptions {
  readonly env: string;
  /** Only these targets. @default - every target the environment renders */
  readonly targets?: readonly Target[];
  /** Per check. @default 10 */
  readonly timeoutSeconds?: number;
  readonly json?: boolean;
  /** `from=to` origin replacements. */
  readonly mapOrigin?: readonly string[];
  /** Environment files to load. @default - this repository's */
  readonly environmentFiles?: readonly string[];
  /** Report output. @default - stdout */
  readonly stdout?: (text: string) => void;
  /** Progress output. @default - stderr */
  readonly stderr?: (text: string) => void;
}

export interface HealthCheckReport extends HealthEndpoint, CheckResult {
  /** The URL requested, when `--map-origin` changed it. */
  readonly requestedUrl?: string;
}

export interface HealthReport {
  readonly environment: string;
  readonly ok: boolean;
  readonly checks: HealthCheckReport[];
  readonly skipped: SkippedEndpoint[];
}

/**
 * `health --env <name>`: checks every public health endpoint of the environment, on every target
 * it renders, in parallel; prints a table (or JSON) and fails with exit 1 when any check fails.
 */
export async function health(options: HealthOptions): Promise<HealthReport> {
  const stdout = options.stdout ?? ((text: string) => process.stdout.write(text));
  const stderr = options.stderr ?? ((text: string) => process.stderr.write(text));
  const timeoutSeconds = options.timeoutSeconds ?? 10;
  if (!(timeoutSeconds > 0)) throw new CliError(`--timeout must be a positive number of seconds, got ${timeoutSeconds}`);
  const originMap = parseOriginMap(options.mapOrigin);
  const environment = await environmentByName(options.env, options.environmentFiles);
  for (const target of options.targets ?? []) {
    if (!environment.renders(target)) {
      throw new CliError(`environment "${environment.name}" does not render the ${target} target (it renders ${environment.settings.targets.join(', ')})`);
    }
  }
  const wanted = (target: Target) => options.targets === undefined || options.targets.length === 0 || options.targets.includes(target);
  const all = healthEndpoints(environment);
  const endpoints = all.endpoints.filter((endpoint) => wanted(endpoint.target));
  const skipped = all.skipped.filter((endpoint) => wanted(endpoint.target));
  stderr(`${environment.name}: checking ${endpoints.length} health endpoint(s) on ${environment.settings.targets.filter(wanted).join(', ')}…\n`);
  const checks: HealthCheckReport[] = await Promise.all(
    endpoints.map(async (endpoint) => {
      const requested = mappedUrl(endpoint.url, originMap);
      const result = await checkUrl(requested, timeoutSeconds * 1000);
      return { ...endpoint, ...result, ...(requested !== endpoint.url ? { requestedUrl: requested } : {}) };
    }),
  );
  const failed = checks.filter((check) => !check.ok);
  const report: HealthReport = { environment: environment.name, ok: failed.length === 0, checks, skipped };
  if (options.json === true) {
    stdout(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    stdout(
      formatTable(
        ['service', 'target', 'URL', 'status', 'latency'],
        checks.map((check) => [check.service, check.target, check.url, describeCheck(check), `${check.latencyMs} ms`]),
      ),
    );
    for (const skip of skipped) stdout(`not checked: ${skip.service} on ${skip.target}: ${skip.reason}\n`);
    if (checks.length === 0) stdout(`${environment.name} has no public health endpoint to check\n`);
  }
  if (failed.length > 0) {
    throw new CliError(`${failed.length} of ${checks.length} health check(s) failed in ${environment.name}: ${failed.map((check) => `${check.service} on ${check.target} (${describeCheck(check)})`).join(', ')}`);
  }
  return report;
}
