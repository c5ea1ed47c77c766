import { Option, type Command } from 'commander';

/** What commander parses for `deploy`: every number still a string, as typed or defaulted. */
interface DeployArguments {
  env: string;
  planFrom?: string;
  services?: string;
  rollback?: string;
  since?: string;
  adoptWait: string;
  timeout: string;
  pollInterval: string;
  healthWindow: string;
  healthTimeout: string;
  mapOrigin?: string[];
  json?: boolean;
}

/** `deploy --env <name> (--plan-from <ref> | --services a,b | --rollback <service>)`: deploy Railway services one at a time. */
export function addDeployCommand(program: Command): void {
  program
    .command('deploy')
    .description(
      'deploy Railway services of an environment one at a time, dependencies first: new deployment, wait for SUCCESS, health check; ' +
        'on a failure roll back every service this run changed, newest first',
    )
    .requiredOption('--env <name>', 'the environment, e.g. staging (must render the railway target)')
    .addOption(new Option('--plan-from <ref>', 'deploy what `plan <ref>` says changed on Railway in this environment'))
    .addOption(new Option('--services <names>', 'deploy these services, comma-separated (run in dependency order)'))
    .addOption(new Option('--rollback <service>', 'only roll this service back to its previous deployment and wait'))
    .addOption(
      new Option('--since <time>', 'adopt deployments created since this time (ISO 8601 or epoch seconds), e.g. by railway config apply or a push, instead of starting new ones'),
    )
    .addOption(new Option('--adopt-wait <seconds>', 'with --since: how long to wait for such a deployment before starting one').default('30'))
    .addOption(new Option('--timeout <seconds>', 'longest wait for one deployment or rollback').env('DEPLOY_TIMEOUT_SECONDS').default('900'))
    .addOption(new Option('--poll-interval <seconds>', 'first poll interval; backs off 1.5x up to 6x (max 30 s)').env('DEPLOY_POLL_INTERVAL_SECONDS').default('5'))
    .addOption(new Option('--health-window <seconds>', 'how long a public service may take to pass its health check').default('60'))
    .addOption(new Option('--health-timeout <seconds>', 'per health request').default('10'))
    .addOption(new Option('--map-origin <from=to...>', 'send health checks for one origin to another (port-forward, tunnel)'))
    .addOption(new Option('--json', 'print the report as JSON on stdout (progress stays on stderr)'))
    .addHelpText(
      'after',
      `
Environment:
  RAILWAY_API_TOKEN    Railway token (required; never printed)
  RAILWAY_TOKEN_KIND   project (default: sent as Project-Access-Token) or account/team/workspace (Authorization: Bearer)
  RAILWAY_PROJECT_ID   the project id (optional with a project token, which names its project)
  RAILWAY_API_URL      GraphQL endpoint (default https://backboard.railway.com/graphql/v2)

Public services are checked at their Railway custom domain + health path; private services and
databases by Railway's deployment status only. Services placed off Railway are skipped.

Exit codes: 0 deployed (or nothing to do), 1 a deploy failed and what it changed was rolled back
(or a problem before anything changed), 3 a rollback failed too: the report names the service
that needs a human, 2 an internal error.

Examples:
  railway config apply --yes && npm run deploy -- --env staging --plan-from "$BEFORE" --since "$APPLY_STARTED"
  npm run deploy -- --env staging --services mcp-server,frontend --json
  npm run deploy -- --env production --rollback frontend`,
    )
    .action(async (options: DeployArguments) => {
      const { deploy } = await import('../deploy.ts');
      await deploy({
        env: options.env,
        ...(options.planFrom !== undefined ? { planFrom: options.planFrom } : {}),
        ...(options.services !== undefined ? { services: [options.services] } : {}),
        ...(options.rollback !== undefined ? { rollback: options.rollback } : {}),
        ...(options.since !== undefined ? { since: options.since } : {}),
        adoptWaitSeconds: Number(options.adoptWait),
        timeoutSeconds: Number(options.timeout),
        pollIntervalSeconds: Number(options.pollInterval),
        healthWindowSeconds: Number(options.healthWindow),
        healthTimeoutSeconds: Number(options.healthTimeout),
        mapOrigin: options.mapOrigin ?? [],
        json: options.json === true,
      });
    });
}
