import { offRailwayComposePath, offRailwayHost } from '../charts/off-railway/index.ts';
import { planRailwayEnvironment } from '../charts/railway/index.ts';
import { CliError } from './cli-error.ts';
import { checkRailwayService, plannedServices, splitServices } from './deploy/choose-services.ts';
import { deployOne, healthNote, type ServiceRun } from './deploy/deploy-service.ts';
import { finish, toReport } from './deploy/deploy-report.ts';
import type { DeployOptions, DeployReport, DeployServiceReport } from './deploy/deploy-types.ts';
import { listDeployments, type Context } from './deploy/railway-context.ts';
import { manualRollback, needsHuman, rollbackService, rollbackTarget } from './deploy/rollback.ts';
import { environmentByName } from './environment-by-name.ts';
import { healthEndpoints } from './health/health-endpoints.ts';
import { parseOriginMap } from './health/origin-map.ts';
import { railwayApiFromEnv } from './railway/railway-api.ts';

export type { DeployOptions, DeployReport, DeployServiceReport, PlanDeployFunction, RollbackReport, ServiceResult } from './deploy/deploy-types.ts';
export { rollbackTarget } from './deploy/rollback.ts';

/**
 * `deploy --env <name>`: makes sure each chosen Railway service of an environment gets a new
 * deployment, one after another in dependency order, waits for Railway to report SUCCESS, checks
 * its health, and on the first failure rolls back every service this run changed, newest first.
 *
 * Exit codes: 0 every service deployed and healthy (or nothing to do); 1 a deploy failed and every
 * service it had changed was rolled back, or a problem before anything changed; 3 a rollback
 * failed too, and the report names the service that needs a human.
 */

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
  // What the environment supports comes first: a token would not help an environment without Railway.
  const environment = await environmentByName(options.env, options.environmentFiles);
  if (!environment.renders('railway') || environment.settings.railway === undefined) {
    throw new CliError(`environment "${environment.name}" does not render the railway target (it renders ${environment.settings.targets.join(', ')}); deploy only drives Railway`);
  }
  // A missing token is reported before any request.
  const api = railwayApiFromEnv(processEnv, { retryDelayMs: Math.min(1000, pollMs) });
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
      const detail = `runs off Railway, on ${offRailwayHost(environment)}: deploy it there from ${offRailwayComposePath(environment)}`;
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
