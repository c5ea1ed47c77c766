import { planRailwayEnvironment, type RailwayEnvironmentPlan } from '../charts/railway/railway-plan.ts';
import { offRailwayHost } from '../charts/railway/placement.ts';
import type { StackEnvironment } from '../constructs/index.ts';
import { CliError } from './cli-error.ts';
import { environmentByName } from './environment-by-name.ts';
import { checkUrl, describeCheck, healthEndpoints, mappedUrl, parseOriginMap, type CheckResult } from './health.ts';
import type { DeployPlan } from './plan/plan-types.ts';
import { railwayApiFromEnv, sleep, type Deployment, type DeploymentStatus, type RailwayApi } from './railway/railway-api.ts';
import { formatTable } from './report-table.ts';

/**
 * `deploy --env <name>`: makes sure each chosen Railway service of an environment gets a new
 * deployment, one after another in dependency order, waits for Railway to report SUCCESS, checks
 * its health, and on the first failure rolls back every service this run changed, newest first.
 *
 * Exit codes: 0 every service deployed and healthy (or nothing to do); 1 a deploy failed and every
 * service it had changed was rolled back, or a problem before anything changed; 3 a rollback
 * failed too, and the report names the service that needs a human.
 */

/** `planDeploy` of cli/plan/plan.ts. */
export type PlanDeployFunction = (baseRef: string, options?: { log?: (line: string) => void }) => Promise<DeployPlan>;

export interface DeployOptions {
  readonly env: string;
  /** Deploy what `planDeploy(<ref>)` says changed on Railway in this environment. */
  readonly planFrom?: string;
  /** Deploy these services (in the environment's dependency order). */
  readonly services?: readonly string[];
  /** Only roll this service back to its previous deployment. */
  readonly rollback?: string;
  /** Longest wait for one deployment or rollback to finish. @default 900 */
  readonly timeoutSeconds?: number;
  /** First poll interval; polls back off by 1.5× up to six times this (at most 30 s). @default 5 */
  readonly pollIntervalSeconds?: number;
  /** How long a public service may take to pass its health check after Railway reports SUCCESS. @default 60 */
  readonly healthWindowSeconds?: number;
  /** Per health request. @default 10 */
  readonly healthTimeoutSeconds?: number;
  /**
   * Deployments created at or after this time (ISO 8601, or seconds since the epoch) were started
   * by `railway config apply` or a push: wait for those instead of starting another one.
   */
  readonly since?: string;
  /** With `since`: how long to wait for such a deployment to appear before starting one. @default 30 */
  readonly adoptWaitSeconds?: number;
  readonly json?: boolean;
  /** `from=to` origin replacements for the health checks (a tunnel, a test server). */
  readonly mapOrigin?: readonly string[];
  /** Environment files to load. @default - this repository's */
  readonly environmentFiles?: readonly string[];
  /** Where RAILWAY_API_TOKEN and friends come from. @default process.env */
  readonly processEnv?: NodeJS.ProcessEnv;
  /** Report output. @default - stdout */
  readonly stdout?: (text: string) => void;
  /** Progress output. @default - stderr */
  readonly stderr?: (text: string) => void;
  /** The plan function. @default - `planDeploy` of cli/plan/plan.ts, imported when needed */
  readonly planDeploy?: PlanDeployFunction;
  /** Module that exports `planDeploy`, when `planDeploy` is not given. @default - ./plan/plan.ts */
  readonly planModule?: string;
}

export type ServiceResult =
  | 'deployed'
  | 'failed'
  | 'crashed'
  | 'removed'
  | 'timed-out'
  | 'unhealthy'
  | 'api-error'
  | 'rolled-back'
  | 'rollback-failed'
  | 'not-started'
  | 'skipped';

export interface RollbackReport {
  /** The earlier deployment rolled back to. */
  readonly to: string | null;
  /** The deployment the rollback created, when one appeared. */
  readonly deploymentId: string | null;
  readonly ok: boolean;
  readonly detail: string;
}

export interface DeployServiceReport {
  readonly service: string;
  readonly result: ServiceResult;
  /** The deployment this run started or waited for. */
  readonly deploymentId: string | null;
  readonly durationSeconds: number | null;
  readonly detail: string;
  readonly rollback?: RollbackReport;
}

export interface DeployReport {
  readonly environment: string;
  readonly mode: 'deploy' | 'rollback';
  readonly ok: boolean;
  readonly exitCode: 0 | 1 | 3;
  readonly message: string;
  /** The service whose deploy failed, when one did. */
  readonly failedAt: string | null;
  readonly services: DeployServiceReport[];
}

const SUCCEEDED: ReadonlySet<DeploymentStatus> = new Set(['SUCCESS', 'SLEEPING']);
const FAILED_STATUS: Partial<Record<DeploymentStatus, ServiceResult>> = {
  FAILED: 'failed',
  CRASHED: 'crashed',
  REMOVED: 'removed',
  REMOVING: 'removed',
  SKIPPED: 'removed',
};

const VERBS: Record<DeploymentStatus, string> = {
  QUEUED: 'queued',
  WAITING: 'queued',
  INITIALIZING: 'initializing',
  BUILDING: 'building',
  DEPLOYING: 'deploying',
  NEEDS_APPROVAL: 'waiting for approval in Railway',
  SUCCESS: 'deployed',
  SLEEPING: 'deployed (sleeping)',
  FAILED: 'failed',
  CRASHED: 'crashed',
  REMOVED: 'removed',
  REMOVING: 'being removed',
  SKIPPED: 'skipped',
};

/** One Railway service this run deploys. */
interface ServiceRun {
  readonly name: string;
  readonly serviceId: string;
  /** Public health URL on Railway (custom domain + health path), when it has one. */
  readonly healthUrl: string | undefined;
  /** How its health is judged, for the report. */
  readonly healthNote: string;
  /** The deployment to roll back to: the one serving before this run. */
  previous: Deployment | undefined;
  deploymentId: string | undefined;
  /** The new deployment went live (Railway switched traffic to it), so a rollback must undo it. */
  live: boolean;
  result: ServiceResult;
  durationMs: number | undefined;
  detail: string;
  rollback: RollbackReport | undefined;
}

interface Context {
  readonly environment: StackEnvironment;
  readonly api: RailwayApi;
  readonly projectId: string;
  readonly environmentId: string;
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly healthWindowMs: number;
  readonly healthTimeoutMs: number;
  readonly adoptWaitMs: number;
  readonly sinceMs: number | undefined;
  readonly originMap: ReadonlyMap<string, string>;
  readonly progress: (line: string) => void;
}

/** Runs `deploy`; prints the report, then throws a `CliError` (exit 1 or 3) when something failed. */
export async function deploy(options: DeployOptions): Promise<DeployReport> {
  const stdout = options.stdout ?? ((text: string) => process.stdout.write(text));
  const stderr = options.stderr ?? ((text: string) => process.stderr.write(text));
  const progress = (line: string) => stderr(`${line}\n`);
  const modes = [options.planFrom !== undefined, options.services !== undefined, options.rollback !== undefined].filter(Boolean).length;
  if (modes !== 1) {
    throw new CliError('deploy needs exactly one of --plan-from <ref>, --services <a,b> or --rollback <service>');
  }
  const seconds = (value: number | undefined, fallback: number, flag: string, allowZero = false) => {
    const resolved = value ?? fallback;
    if (!Number.isFinite(resolved) || resolved < 0 || (!allowZero && resolved === 0)) {
      throw new CliError(`${flag} must be a ${allowZero ? 'non-negative' : 'positive'} number of seconds, got ${String(value)}`);
    }
    return resolved * 1000;
  };
  const timeoutMs = seconds(options.timeoutSeconds, 900, '--timeout');
  const pollMs = seconds(options.pollIntervalSeconds, 5, '--poll-interval');
  const healthWindowMs = seconds(options.healthWindowSeconds, 60, '--health-window', true);
  const healthTimeoutMs = seconds(options.healthTimeoutSeconds, 10, '--health-timeout');
  const adoptWaitMs = seconds(options.adoptWaitSeconds, 30, '--adopt-wait', true);
  let sinceMs: number | undefined;
  if (options.since !== undefined) {
    sinceMs = /^\d+(\.\d+)?$/.test(options.since) ? Number(options.since) * 1000 : Date.parse(options.since);
    if (Number.isNaN(sinceMs)) throw new CliError(`--since needs an ISO 8601 time (2026-09-01T12:00:00Z) or seconds since the epoch, got "${options.since}"`);
  }
  const originMap = parseOriginMap(options.mapOrigin);
  const processEnv = options.processEnv ?? process.env;
  // A missing token is reported before any slow work.
  const api = railwayApiFromEnv(processEnv, { retryDelayMs: Math.min(1000, pollMs) });

  const environment = await environmentByName(options.env, options.environmentFiles);
  if (!environment.renders('railway') || environment.settings.railway === undefined) {
    throw new CliError(`environment "${environment.name}" does not render the railway target (it renders ${environment.settings.targets.join(', ')}); deploy only drives Railway`);
  }
  const railwayPlan = planRailwayEnvironment(environment);
  const railwayProject = environment.settings.railway.project;

  const resolve = async () => {
    const project = await api.resolveProject(processEnv['RAILWAY_PROJECT_ID']?.trim() || undefined, environment.name);
    if (project.projectName !== railwayProject) {
      throw new CliError(
        `the Railway project ${project.projectId} is named "${project.projectName}", but environment "${environment.name}" deploys to the project "${railwayProject}": check RAILWAY_PROJECT_ID and the token`,
      );
    }
    const context: Context = {
      environment,
      api,
      projectId: project.projectId,
      environmentId: project.environmentId,
      timeoutMs,
      pollMs,
      healthWindowMs,
      healthTimeoutMs,
      adoptWaitMs,
      sinceMs,
      originMap,
      progress,
    };
    const serviceId = (name: string) => {
      const id = project.services.get(name);
      if (id === undefined) {
        throw new CliError(`the Railway project "${project.projectName}" has no service "${name}"; create it with railway config apply before deploying`);
      }
      return id;
    };
    return { project, context, serviceId };
  };

  if (options.rollback !== undefined) {
    const name = options.rollback.trim();
    checkRailwayService(name, environment, railwayPlan);
    const { context, serviceId } = await resolve();
    const report = await manualRollback(context, name, serviceId(name));
    return finish(report, options.json === true, stdout);
  }

  // Which services, checked before Railway is asked anything.
  const requested = options.services !== undefined ? splitServices(options.services) : await plannedServices(options, environment, progress);
  const railwayNames = new Set(railwayPlan.resources.map((resource) => resource.name));
  const offRailway = new Set(railwayPlan.offRailway.map((service) => service.name));
  for (const name of requested) {
    if (!railwayNames.has(name) && !offRailway.has(name)) checkRailwayService(name, environment, railwayPlan);
  }
  const skipped: DeployServiceReport[] = requested
    .filter((name) => offRailway.has(name))
    .map((name) => {
      const detail = `runs off Railway, on ${offRailwayHost(environment)}: deploy it there from dist/railway/${environment.name}-${offRailwayHost(environment)}/compose.yaml`;
      progress(`${environment.name}: skipping ${name}: ${detail}`);
      return { service: name, result: 'skipped' as const, deploymentId: null, durationSeconds: null, detail };
    });
  // Plan order is dependencies first; --services follows the environment's start order.
  const order = options.services !== undefined ? railwayPlan.resources.map((resource) => resource.name) : requested;
  const names = order.filter((name) => requested.includes(name) && railwayNames.has(name));
  if (names.length === 0) {
    const message = `nothing to deploy on Railway in ${environment.name}`;
    progress(`${environment.name}: ${message}`);
    return finish({ environment: environment.name, mode: 'deploy', ok: true, exitCode: 0, message, failedAt: null, services: skipped }, options.json === true, stdout);
  }
  const { project, context, serviceId } = await resolve();

  const endpoints = healthEndpoints(environment);
  const railwayHealth = new Map(endpoints.endpoints.filter((endpoint) => endpoint.target === 'railway').map((endpoint) => [endpoint.service, endpoint.url]));
  const uncheckable = new Map(endpoints.skipped.filter((endpoint) => endpoint.target === 'railway').map((endpoint) => [endpoint.service, endpoint.reason]));
  const runs: ServiceRun[] = names.map((name) => {
    const healthUrl = railwayHealth.get(name);
    return {
      name,
      serviceId: serviceId(name),
      healthUrl,
      healthNote: healthNote(name, healthUrl, uncheckable.get(name), railwayPlan),
      previous: undefined,
      deploymentId: undefined,
      live: false,
      result: 'not-started',
      durationMs: undefined,
      detail: '',
      rollback: undefined,
    };
  });
  progress(`${environment.name}: deploying ${runs.map((run) => run.name).join(', ')} on Railway (project ${project.projectName})`);

  // What serves now is what a rollback returns to; read it before anything changes.
  for (const run of runs) {
    run.previous = rollbackTarget(await listDeployments(context, run), sinceMs);
  }

  let failed: ServiceRun | undefined;
  for (const run of runs) {
    await deployOne(context, run);
    if (run.result !== 'deployed') {
      failed = run;
      break;
    }
  }

  if (failed === undefined) {
    const message = `deployed ${runs.length} service(s) to ${environment.name}: ${runs.map((run) => run.name).join(', ')}`;
    return finish(
      { environment: environment.name, mode: 'deploy', ok: true, exitCode: 0, message, failedAt: null, services: [...runs.map(toReport), ...skipped] },
      options.json === true,
      stdout,
    );
  }

  // Undo what went live, newest first.
  const toRollBack = runs.filter((run) => run.live).reverse();
  if (toRollBack.length > 0) progress(`${environment.name}: ${failed.name} ${failed.result}; rolling back ${toRollBack.map((run) => run.name).join(', ')}`);
  for (const run of toRollBack) {
    run.rollback = await rollbackService(context, run.name, run.serviceId, run.previous);
    run.result = run.rollback.ok ? 'rolled-back' : 'rollback-failed';
  }
  const stuck = toRollBack.filter((run) => run.rollback?.ok !== true);
  const rolledBack = toRollBack.filter((run) => run.rollback?.ok === true).map((run) => run.name);
  const failure = `deploy to ${environment.name} failed at ${failed.name} (${failed.detail})`;
  const message =
    stuck.length > 0
      ? `${failure}; rollback FAILED for ${stuck.map((run) => `${run.name} (${run.rollback?.detail})`).join(', ')}; ` +
        stuck.map((run) => needsHuman(run.name, run.rollback?.to ?? null)).join('; ') +
        (rolledBack.length > 0 ? `; rolled back ${rolledBack.join(', ')}` : '')
      : `${failure}; ${rolledBack.length > 0 ? `rolled back ${rolledBack.join(', ')}` : 'nothing had gone live, so nothing was rolled back'}`;
  const report: DeployReport = {
    environment: environment.name,
    mode: 'deploy',
    ok: false,
    exitCode: stuck.length > 0 ? 3 : 1,
    message,
    failedAt: failed.name,
    services: [...runs.map(toReport), ...skipped],
  };
  return finish(report, options.json === true, stdout);
}

/** Prints the report; throws for a failed run so the CLI exits with its code. */
function finish(report: DeployReport, json: boolean, stdout: (text: string) => void): DeployReport {
  if (json) {
    stdout(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    stdout(
      formatTable(
        ['service', 'result', 'deployment', 'duration'],
        report.services.map((service) => [
          service.service,
          service.result,
          [service.deploymentId, service.rollback?.deploymentId].filter((id) => id !== null && id !== undefined).join(' → ') || '-',
          service.durationSeconds === null ? '-' : `${service.durationSeconds} s`,
        ]),
      ),
    );
    for (const service of report.services) {
      if (service.detail !== '') stdout(`${service.service}: ${service.detail}\n`);
      if (service.rollback !== undefined) stdout(`${service.service}: rollback ${service.rollback.ok ? 'done' : 'FAILED'}: ${service.rollback.detail}\n`);
    }
    stdout(`${report.message}\n`);
  }
  if (!report.ok) throw new CliError(report.message, report.exitCode);
  return report;
}

function toReport(run: ServiceRun): DeployServiceReport {
  return {
    service: run.name,
    result: run.result,
    deploymentId: run.deploymentId ?? null,
    durationSeconds: run.durationMs === undefined ? null : Math.round(run.durationMs / 100) / 10,
    detail: run.detail,
    ...(run.rollback !== undefined ? { rollback: run.rollback } : {}),
  };
}

function splitServices(list: readonly string[]): string[] {
  const names = list.flatMap((entry) => entry.split(',')).map((name) => name.trim()).filter((name) => name !== '');
  if (names.length === 0) throw new CliError('--services needs at least one service name');
  return [...new Set(names)];
}

/** A name that is neither a Railway resource nor a service placed off Railway. */
function checkRailwayService(name: string, environment: StackEnvironment, plan: RailwayEnvironmentPlan): void {
  if (plan.resources.some((resource) => resource.name === name)) return;
  if (plan.offRailway.some((service) => service.name === name)) {
    throw new CliError(`"${name}" runs off Railway in ${environment.name} (on ${offRailwayHost(environment)}), so Railway cannot roll it back`);
  }
  throw new CliError(
    `environment "${environment.name}" has no Railway service "${name}" (it has ${[...plan.resources.map((resource) => resource.name), ...plan.offRailway.map((service) => `${service.name} (off Railway)`)].join(', ')})`,
  );
}

/** The services `planDeploy` says must redeploy on Railway in this environment, dependencies first. */
async function plannedServices(options: DeployOptions, environment: StackEnvironment, progress: (line: string) => void): Promise<string[]> {
  const planDeploy = options.planDeploy ?? (await loadPlanDeploy(options.planModule ?? new URL('./plan/plan.ts', import.meta.url).href));
  const ref = options.planFrom as string;
  progress(`${environment.name}: planning against ${ref}…`);
  const plan = await planDeploy(ref, { log: progress });
  const environmentPlan = plan.environments.find((candidate) => candidate.environment === environment.name);
  if (environmentPlan === undefined) return [];
  const changes = environmentPlan.changes.filter((change) => change.targets.includes('railway'));
  for (const change of changes) progress(`${environment.name}: ${change.service} changed: ${change.reasons.join('; ') || 'rendering changed'}`);
  return changes.map((change) => change.service);
}

async function loadPlanDeploy(moduleUrl: string): Promise<PlanDeployFunction> {
  let module: { planDeploy?: unknown };
  try {
    module = (await import(moduleUrl)) as { planDeploy?: unknown };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new CliError(`--plan-from needs the plan command (${moduleUrl} cannot be loaded: ${firstLine(error)}); name the services with --services a,b instead`);
    }
    throw error;
  }
  if (typeof module.planDeploy !== 'function') throw new CliError(`${moduleUrl} does not export planDeploy(baseRef); name the services with --services a,b instead`);
  return module.planDeploy as PlanDeployFunction;
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0] ?? '';
}

function healthNote(name: string, healthUrl: string | undefined, uncheckable: string | undefined, plan: RailwayEnvironmentPlan): string {
  if (healthUrl !== undefined) return `public: checked at ${healthUrl}`;
  if (uncheckable !== undefined) return `public, but not checkable from outside (${uncheckable}): judged by Railway's deployment status only`;
  const resource = plan.resources.find((candidate) => candidate.name === name);
  if (resource === undefined || resource.kind !== 'service') return 'Railway database: judged by Railway\'s deployment status only';
  return resource.healthcheck !== undefined
    ? `private: judged by Railway's deployment status only (Railway gated it on ${resource.healthcheck})`
    : 'private: judged by Railway\'s deployment status only (Railway deploys it without a health gate, so SUCCESS means the container started)';
}

function listDeployments(context: Context, run: { serviceId: string }): Promise<Deployment[]> {
  return context.api.deployments({ projectId: context.projectId, environmentId: context.environmentId, serviceId: run.serviceId });
}

/**
 * The deployment serving before this run: the newest SUCCESS one (created before `since`, when
 * given). When a deployment started by `railway config apply` already replaced it, Railway has
 * marked it REMOVED; then the newest REMOVED one Railway can still roll back to.
 */
export function rollbackTarget(deployments: readonly Deployment[], sinceMs?: number): Deployment | undefined {
  const before = sinceMs === undefined ? deployments : deployments.filter((deployment) => Date.parse(deployment.createdAt) < sinceMs);
  return before.find((deployment) => SUCCEEDED.has(deployment.status)) ?? before.find((deployment) => deployment.status === 'REMOVED' && deployment.canRollback);
}

/** Deploys one service: start or adopt a deployment, wait for it, check health. Sets `run.result`. */
async function deployOne(context: Context, run: ServiceRun): Promise<void> {
  const started = Date.now();
  const label = `${context.environment.name}: ${run.name}`;
  try {
    const adopted = context.sinceMs !== undefined ? await adoptDeployment(context, run, started) : undefined;
    if (adopted !== undefined) {
      run.deploymentId = adopted.id;
      context.progress(`${label}: waiting for deployment ${adopted.id} (started ${adopted.createdAt}, after --since)`);
    } else {
      run.deploymentId = await context.api.deployServiceInstance(run.serviceId, context.environmentId);
      context.progress(`${label}: started deployment ${run.deploymentId}`);
    }
    const outcome = await waitForDeployment(context, run.name, run.deploymentId, started, '');
    run.durationMs = Date.now() - started;
    if (outcome.kind === 'timeout') {
      run.result = 'timed-out';
      run.detail = `no result within ${seconds(context.timeoutMs)} (last status ${outcome.status})`;
      // It never went live; stop it so it cannot go live after we gave up.
      try {
        await context.api.cancelDeployment(run.deploymentId);
        run.detail += '; cancelled it, the previous deployment keeps serving';
      } catch (error) {
        run.detail += `; cancelling it failed: ${error instanceof Error ? error.message : String(error)}`;
      }
      return;
    }
    if (outcome.kind === 'failed') {
      run.result = outcome.result;
      // A crashed deployment had gone live; a failed or removed one never did, and Railway keeps the previous one serving.
      run.live = outcome.status === 'CRASHED';
      run.detail =
        outcome.status === 'CRASHED'
          ? 'deployment CRASHED after going live'
          : outcome.status === 'FAILED'
            ? 'deployment FAILED; Railway keeps the previous deployment serving'
            : `deployment ${outcome.status} before it finished (cancelled, or replaced by a newer deployment); the previous deployment keeps serving`;
      return;
    }
    run.live = true;
    if (run.healthUrl === undefined) {
      run.result = 'deployed';
      run.detail = run.healthNote;
      return;
    }
    const health = await checkHealth(context, run.name, run.healthUrl);
    run.durationMs = Date.now() - started;
    if (health.ok) {
      run.result = 'deployed';
      run.detail = `healthy: ${run.healthUrl} answered ${describeCheck(health)} in ${health.latencyMs} ms`;
    } else {
      run.result = 'unhealthy';
      run.detail = `health check failed for ${seconds(context.healthWindowMs)}: ${run.healthUrl} ${health.httpStatus !== undefined ? 'answered ' : ''}${describeCheck(health)}`;
    }
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    run.durationMs = Date.now() - started;
    run.result = 'api-error';
    run.detail = error.message;
  }
}

/** With `--since`: the newest deployment of the service created since then, waiting up to the adopt window for one to appear. */
async function adoptDeployment(context: Context, run: ServiceRun, started: number): Promise<Deployment | undefined> {
  const since = context.sinceMs as number;
  for (;;) {
    const fresh = (await listDeployments(context, run)).find((deployment) => Date.parse(deployment.createdAt) >= since);
    if (fresh !== undefined) return fresh;
    if (Date.now() - started >= context.adoptWaitMs) {
      context.progress(`${context.environment.name}: ${run.name}: no deployment since ${new Date(since).toISOString()}, starting one`);
      return undefined;
    }
    await sleep(Math.min(context.pollMs, context.adoptWaitMs));
  }
}

type WaitOutcome =
  | { kind: 'success'; deployment: Deployment }
  | { kind: 'failed'; status: DeploymentStatus; result: ServiceResult }
  | { kind: 'timeout'; status: DeploymentStatus | 'unknown' };

/** Polls one deployment with backoff until it succeeds, fails or the timeout passes; prints progress lines. */
async function waitForDeployment(context: Context, service: string, id: string, started: number, action: string): Promise<WaitOutcome> {
  const waitStart = Date.now();
  const cap = Math.max(context.pollMs, Math.min(30_000, context.pollMs * 6));
  let interval = context.pollMs;
  let lastStatus: DeploymentStatus | 'unknown' = 'unknown';
  let lastPrinted = 0;
  for (;;) {
    const deployment = await context.api.deployment(id);
    const now = Date.now();
    if (deployment.status !== lastStatus || now - lastPrinted >= 15_000) {
      const inProgress = !SUCCEEDED.has(deployment.status) && FAILED_STATUS[deployment.status] === undefined;
      const verb = action === '' ? VERBS[deployment.status] : `${action}: ${VERBS[deployment.status]}`;
      context.progress(`${context.environment.name}: ${service} ${verb}${inProgress ? '…' : ''} (${Math.round((now - started) / 1000)} s)`);
      lastPrinted = now;
    }
    lastStatus = deployment.status;
    if (SUCCEEDED.has(deployment.status)) return { kind: 'success', deployment };
    const failed = FAILED_STATUS[deployment.status];
    if (failed !== undefined) return { kind: 'failed', status: deployment.status, result: failed };
    const remaining = context.timeoutMs - (now - waitStart);
    if (remaining <= 0) return { kind: 'timeout', status: lastStatus };
    await sleep(Math.min(interval, remaining));
    interval = Math.min(cap, interval * 1.5);
  }
}

/** Retries the public health URL until it answers 2xx or the health window passes. */
async function checkHealth(context: Context, service: string, url: string): Promise<CheckResult> {
  const requested = mappedUrl(url, context.originMap);
  const start = Date.now();
  let attempt = 0;
  for (;;) {
    attempt++;
    const result = await checkUrl(requested, context.healthTimeoutMs);
    if (result.ok || Date.now() - start >= context.healthWindowMs) {
      context.progress(`${context.environment.name}: ${service} health ${result.ok ? 'ok' : 'FAILING'}: ${url} ${describeCheck(result)} (attempt ${attempt})`);
      return result;
    }
    await sleep(Math.min(context.pollMs, Math.max(0, context.healthWindowMs - (Date.now() - start))));
  }
}

/**
 * Rolls a service back to `target` with `deploymentRollback` and waits until the deployment the
 * rollback creates succeeds (or, should Railway restore the old deployment in place, until that
 * one reports SUCCESS again). Never throws for Railway failures: they are the report.
 */
async function rollbackService(context: Context, name: string, serviceId: string, target: Deployment | undefined): Promise<RollbackReport> {
  const started = Date.now();
  if (target === undefined) {
    return { to: null, deploymentId: null, ok: false, detail: `${name} had no earlier successful deployment to roll back to` };
  }
  try {
    const current = await context.api.deployment(target.id);
    if (!current.canRollback) {
      return { to: target.id, deploymentId: null, ok: false, detail: `Railway cannot roll back to deployment ${target.id} (canRollback is false: its image may have expired)` };
    }
    const before = new Set((await listDeployments(context, { serviceId })).map((deployment) => deployment.id));
    context.progress(`${context.environment.name}: ${name} rolling back to deployment ${target.id}`);
    if (!(await context.api.rollbackDeployment(target.id))) {
      return { to: target.id, deploymentId: null, ok: false, detail: `Railway refused to roll back to deployment ${target.id}` };
    }
    for (;;) {
      const deployments = await listDeployments(context, { serviceId });
      const created = deployments.find((deployment) => !before.has(deployment.id));
      if (created !== undefined) {
        const outcome = await waitForDeployment(context, name, created.id, started, 'rolling back');
        if (outcome.kind === 'success') {
          return { to: target.id, deploymentId: created.id, ok: true, detail: `back on deployment ${target.id} (rollback deployment ${created.id})` };
        }
        const status = outcome.kind === 'failed' ? outcome.status : `no result within ${seconds(context.timeoutMs)}`;
        return { to: target.id, deploymentId: created.id, ok: false, detail: `rollback deployment ${created.id} ${outcome.kind === 'failed' ? status : `gave ${status}`}` };
      }
      const restored = deployments.find((deployment) => deployment.id === target.id) ?? (await context.api.deployment(target.id));
      if (SUCCEEDED.has(restored.status)) {
        return { to: target.id, deploymentId: null, ok: true, detail: `deployment ${target.id} serves again` };
      }
      if (Date.now() - started >= context.timeoutMs) {
        return { to: target.id, deploymentId: null, ok: false, detail: `no rollback deployment appeared within ${seconds(context.timeoutMs)}` };
      }
      await sleep(context.pollMs);
    }
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return { to: target.id, deploymentId: null, ok: false, detail: error.message };
  }
}

/** `--rollback <service>`: back to the deployment that served before the current one. */
async function manualRollback(context: Context, name: string, serviceId: string): Promise<DeployReport> {
  const environmentName = context.environment.name;
  const deployments = await listDeployments(context, { serviceId });
  const current = deployments.find((deployment) => SUCCEEDED.has(deployment.status));
  if (current === undefined) {
    throw new CliError(`${name} has no successful deployment in ${environmentName} to roll back from`);
  }
  const currentAt = Date.parse(current.createdAt);
  const target = deployments.find(
    (deployment) => Date.parse(deployment.createdAt) < currentAt && (deployment.status === 'REMOVED' || SUCCEEDED.has(deployment.status)) && deployment.canRollback,
  );
  if (target === undefined) {
    throw new CliError(`${name} has no earlier deployment in ${environmentName} that Railway can roll back to (looked at the last ${deployments.length})`);
  }
  context.progress(`${environmentName}: rolling ${name} back from deployment ${current.id} to ${target.id}`);
  const started = Date.now();
  const rollback = await rollbackService(context, name, serviceId, target);
  const service: DeployServiceReport = {
    service: name,
    result: rollback.ok ? 'rolled-back' : 'rollback-failed',
    deploymentId: current.id,
    durationSeconds: Math.round((Date.now() - started) / 100) / 10,
    detail: `was serving deployment ${current.id}`,
    rollback,
  };
  const message = rollback.ok
    ? `rolled ${name} back to deployment ${target.id} in ${environmentName}`
    : `rollback of ${name} in ${environmentName} FAILED (${rollback.detail}); ${needsHuman(name, target.id)}`;
  return { environment: environmentName, mode: 'rollback', ok: rollback.ok, exitCode: rollback.ok ? 0 : 3, message, failedAt: rollback.ok ? null : name, services: [service] };
}

/** What the report tells a person to do about a service whose rollback failed. */
function needsHuman(service: string, target: string | null): string {
  return `${service} needs a human: roll it back${target !== null ? ` to deployment ${target}` : ''} in the Railway dashboard (${service} → Deployments → Rollback)`;
}

function seconds(ms: number): string {
  const value = ms / 1000;
  return `${Number.isInteger(value) ? value : value.toFixed(1)} s`;
}
