import { Command, Option } from 'commander';
import { SpecError } from '../constructs/index.ts';
import { CliError, GeneratorBug } from './cli-error.ts';
import { synth } from './synth.ts';
import { validate } from './validate.ts';

/**
 * The project's command line: `npm run synth`, `npm run validate`, and the GitOps commands. Exit
 * codes: 0 success, 1 a problem in the stack description, the rendered output or the operation
 * (named in the message), 2 an internal error; commands may document more.
 */
const program = new Command()
  .name('voice-agent')
  .description('Render and check the voice-agent stack for Kubernetes, Docker Compose and Railway.')
  .showHelpAfterError();

program
  .command('synth')
  .description('render every environment and target into dist/ and .railway/railway.ts (atomically)')
  .addOption(new Option('--env-file <file...>', 'render only these environment files (default: environments/*.ts)'))
  .addOption(new Option('--out <dir>', 'output root; dist/ and .railway/ are written under it (default: the current directory)'))
  .action(async (options: { envFile?: string[]; out?: string }) => {
    // Rendering some environments over the repository's own output would delete the others.
    if (options.envFile !== undefined && options.out === undefined) {
      throw new SpecError({}, '--env-file renders only the files given, so it needs --out <dir> to keep them away from the committed dist/');
    }
    await synth({ ...(options.envFile !== undefined ? { envFiles: options.envFile } : {}), outDir: options.out ?? '.' });
  });

program
  .command('validate')
  .description('validate rendered output offline: Kubernetes schemas, the Compose spec, Railway IaC with its SDK')
  .addOption(new Option('--dir <dir>', 'output root to validate').default('.'))
  .action(async (options: { dir: string }) => {
    const problems = await validate({ root: options.dir });
    if (problems.length > 0) process.exitCode = 1;
  });

program
  .command('plan')
  .description('which services each environment must redeploy to go from <base-ref> to the working tree, in dependency order')
  .argument('<base-ref>', 'a commit, branch or tag; all zeros (a first push) means everything is new')
  .addOption(new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text'))
  .action(async (baseRef: string, options: { format: 'text' | 'markdown' | 'json' }) => {
    const { planDeploy } = await import('./plan/plan.ts');
    const { planAsMarkdown, planAsText } = await import('./plan/format-plan.ts');
    const plan = await planDeploy(baseRef, { log: (line) => process.stderr.write(`${line}\n`) });
    process.stdout.write(options.format === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : options.format === 'markdown' ? planAsMarkdown(plan) : planAsText(plan));
  });

program
  .command('diff')
  .description('the rendered difference between <base-ref> and the working tree, per environment, service and target (unified diff)')
  .argument('<base-ref>', 'a commit, branch or tag')
  .addOption(new Option('--env <name>', 'only this environment'))
  .addOption(new Option('--service <name>', 'only this service'))
  .addOption(new Option('--exit-code', 'exit 3 when anything differs (like git diff --exit-code)'))
  .action(async (baseRef: string, options: { env?: string; service?: string; exitCode?: boolean }) => {
    const { renderedDiff } = await import('./diff.ts');
    const { text, changed } = await renderedDiff(baseRef, {
      log: (line) => process.stderr.write(`${line}\n`),
      ...(options.env !== undefined ? { environment: options.env } : {}),
      ...(options.service !== undefined ? { service: options.service } : {}),
    });
    process.stdout.write(text);
    process.stderr.write(changed === 0 ? 'no rendered service changed\n' : `${changed} rendered units changed\n`);
    if (options.exitCode === true && changed > 0) process.exitCode = 3;
  });

const secrets = program
  .command('secrets')
  .description('the Doppler secrets each environment needs (dist/secrets/<env>.json): check them, or sync them to Railway; names only, never values');

secrets
  .command('check')
  .description("fetch the environment's Doppler config (DOPPLER_TOKEN, a service token for it) and report, by service, which needed secrets are missing or empty; exit 1 if any")
  .requiredOption('--env <name>', 'the environment, e.g. staging')
  .addOption(new Option('--json', 'print the report as JSON'))
  .action(async (options: { env: string; json?: boolean }) => {
    const { secretsCheckCommand } = await import('./secrets.ts');
    process.exitCode = await secretsCheckCommand(options);
  });

secrets
  .command('sync')
  .description("copy the secrets the environment's Railway services read from Doppler (DOPPLER_TOKEN) into its Railway shared variables (RAILWAY_API_TOKEN), staged with skipDeploys; only for railway.secretSync: 'cli'")
  .requiredOption('--env <name>', 'the environment, e.g. staging')
  .addOption(new Option('--json', 'print what was synced as JSON'))
  .action(async (options: { env: string; json?: boolean }) => {
    const { secretsSyncCommand } = await import('./secrets.ts');
    process.exitCode = await secretsSyncCommand(options);
  });

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
  railway config apply --yes && voice-agent deploy --env staging --plan-from "$BEFORE" --since "$APPLY_STARTED"
  voice-agent deploy --env staging --services mcp-server,frontend --json
  voice-agent deploy --env production --rollback frontend`,
  )
  .action(
    async (options: {
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
    }) => {
      const { deploy } = await import('./deploy.ts');
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
    },
  );

program
  .command('health')
  .description(
    'check every health endpoint of an environment reachable from outside, on each target it renders ' +
      '(Kubernetes Ingress hostnames, Railway custom domains, Compose ports); exit 1 if any fails',
  )
  .requiredOption('--env <name>', 'the environment, e.g. staging')
  .addOption(new Option('--target <target...>', 'only these targets').choices(['compose', 'kubernetes', 'railway']))
  .addOption(new Option('--timeout <seconds>', 'per check').default('10'))
  .addOption(new Option('--map-origin <from=to...>', 'send checks for one origin to another (port-forward, tunnel)'))
  .addOption(new Option('--json', 'print the report as JSON'))
  .action(async (options: { env: string; target?: Array<'compose' | 'kubernetes' | 'railway'>; timeout: string; mapOrigin?: string[]; json?: boolean }) => {
    const { health } = await import('./health.ts');
    await health({
      env: options.env,
      ...(options.target !== undefined ? { targets: options.target } : {}),
      timeoutSeconds: Number(options.timeout),
      mapOrigin: options.mapOrigin ?? [],
      json: options.json === true,
    });
  });

program
  .command('check-updates')
  .description('compare the pinned TEN Framework (sources and build image), Jitsi Meet version and MCP SDK with the newest releases in their registries (GitHub, GHCR, npm)')
  .addOption(new Option('--json', 'print the results as JSON'))
  .addOption(new Option('--exit-code', 'exit 3 when an update is available'))
  .addOption(new Option('--timeout <seconds>', 'per registry request').default('15'))
  .addHelpText(
    'after',
    `
Pins are read from environments/versions.ts (TEN_VERSION, TEN_AGENT_BUILD_VERSION, JITSI_VERSION)
and services/*/package.json (@modelcontextprotocol/sdk). Latest releases come from public
endpoints, without credentials; release tags only:
  TEN sources     git tags of TEN-framework/ten-framework from GitHub's REST API (anonymous:
                  60 requests an hour), x.y.z
  TEN build image, Jitsi
                  GHCR tag lists (Docker Registry v2 with an anonymous pull token): TEN x.y.z,
                  Jitsi stable-NNNN[-N] published for all of web, prosody, jicofo and jvb
  MCP SDK         the npm registry's dist-tags.latest

Environment:
  CHECK_UPDATES_NPM_REGISTRY   npm registry base URL (default: the registry npm is configured with)
  CHECK_UPDATES_GHCR_REGISTRY  base URL standing in for ghcr.io (default https://ghcr.io)
  CHECK_UPDATES_GITHUB_API     base URL of GitHub's REST API (default https://api.github.com)

Exit codes: 0 checked (updates or not), 1 a registry could not be reached or answered an error
(the message names it and the cause), 3 with --exit-code when an update is available.

Examples:
  voice-agent check-updates
  voice-agent check-updates --json --exit-code`,
  )
  .action(async (options: { json?: boolean; exitCode?: boolean; timeout: string }) => {
    const { checkUpdatesCommand } = await import('./check-updates.ts');
    process.exitCode = await checkUpdatesCommand(options);
  });

// Further commands are registered here, one file each under cli/.

/**
 * Node 20 scans its whole command line for `--env-file` (its own dotenv flag) up to the first
 * `--`, and exits when the file is missing, before our code runs. The npm scripts therefore put
 * a `--` right after the command; drop that one separator before parsing.
 */
function withoutScriptSeparator(argv: string[]): string[] {
  const separator = argv.indexOf('--', 2);
  return separator === 3 ? [...argv.slice(0, separator), ...argv.slice(separator + 1)] : argv;
}

try {
  await program.parseAsync(withoutScriptSeparator(process.argv));
} catch (error) {
  if (SpecError.isSpecError(error)) {
    process.stderr.write(`error: ${error.message}\nnothing was written.\n`);
    process.exitCode = 1;
  } else if (error instanceof GeneratorBug) {
    process.stderr.write(`internal error: ${error.message}\nnothing was written.\n`);
    process.exitCode = 2;
  } else if (error instanceof CliError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  }
}
