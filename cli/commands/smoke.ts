import { Option, type Command } from 'commander';

/**
 * `smoke prepare|up|check|logs|down`: the smoke test CI runs on a pull request and before a
 * deploy (.github/workflows/smoke.yml): the development Compose rendering's core (the services
 * that need no vendor keys) started from the images just built, with throw-away secrets, then
 * every service's health command and the stack's integration checks. Docker runs `up`, `logs`,
 * `down` and, by default, the health commands; `prepare` and `check --native` need none.
 */
export function addSmokeCommand(program: Command): void {
  const smoke = program
    .command('smoke')
    .description('start the development Compose rendering with throw-away secrets and check it (what CI runs on a pull request and before a deploy)');

  smoke
    .command('prepare')
    .description(
      'write into --out what the smoke test runs with: .env (throw-away secrets, never real ones), compose.smoke.yaml (the stand-in Pipedream wired in), ' +
        'tools.json, bake.json (the images to build) and smoke.json (the services to start and check)',
    )
    .requiredOption('--env <name>', 'the environment whose Compose rendering to start, e.g. development')
    .requiredOption('--out <dir>', 'the directory to write into (outside the repository, e.g. $RUNNER_TEMP/smoke)')
    .addOption(new Option('--fake-pipedream-port <port>', 'the port the stand-in Pipedream listens on').default('8110'))
    .addOption(new Option('--fake-pipedream-host <host>', 'the host name the containers reach the stand-in Pipedream at').default('host.docker.internal'))
    .action(async (options: { env: string; out: string; fakePipedreamPort: string; fakePipedreamHost: string }) => {
      const { smokePrepareCommand } = await import('../smoke.ts');
      await smokePrepareCommand(options);
    });

  smoke
    .command('up')
    .description('docker compose up --wait the services smoke.json names, from the images already built (never building or pulling ours); exit 1 when one does not become healthy')
    .requiredOption('--dir <dir>', 'the directory smoke prepare wrote')
    .addOption(new Option('--timeout <seconds>', 'how long every service has to become healthy').default('300'))
    .action(async (options: { dir: string; timeout: string }) => {
      const { smokeUpCommand } = await import('../smoke.ts');
      await smokeUpCommand(options);
    });

  smoke
    .command('check')
    .description("run every started service's health command and the integration checks (console → MCP server, a workflow run against the stand-in Pipedream, Jitsi's web); exit 1 if any fails")
    .requiredOption('--dir <dir>', 'the directory smoke prepare wrote')
    .addOption(new Option('--native', 'run the health commands on this machine instead of in the containers (services started natively)'))
    .addOption(new Option('--only <service...>', 'check only these of the started services'))
    .addOption(new Option('--map-port <from=to...>', 'a published port that is another one here (services started natively on free ports)'))
    .addOption(new Option('--timeout <seconds>', 'per check').default('30'))
    .action(async (options: { dir: string; native?: boolean; only?: string[]; mapPort?: string[]; timeout: string }) => {
      const { smokeCheckCommand } = await import('../smoke.ts');
      await smokeCheckCommand(options);
    });

  smoke
    .command('logs')
    .description("print every started container's state and log (CI runs it when a step failed)")
    .requiredOption('--dir <dir>', 'the directory smoke prepare wrote')
    .action(async (options: { dir: string }) => {
      const { smokeLogsCommand } = await import('../smoke.ts');
      await smokeLogsCommand(options);
    });

  smoke
    .command('down')
    .description('stop and remove the smoke stack, its volumes and networks')
    .requiredOption('--dir <dir>', 'the directory smoke prepare wrote')
    .action(async (options: { dir: string }) => {
      const { smokeDownCommand } = await import('../smoke.ts');
      await smokeDownCommand(options);
    });
}
