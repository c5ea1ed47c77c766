import type { Target } from '../constructs/index.ts';
import { CliError } from './cli-error.ts';
import { environmentByName } from './environment-by-name.ts';
import { checkUrl, describeCheck, type CheckResult } from './health/check-url.ts';
import { healthEndpoints, type HealthEndpoint, type SkippedEndpoint } from './health/health-endpoints.ts';
import { mappedUrl, parseOriginMap } from './health/origin-map.ts';
import { formatTable } from './report-table.ts';

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
