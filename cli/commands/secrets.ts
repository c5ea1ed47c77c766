import { Option, type Command } from 'commander';

/** `secrets check|sync --env <name> [--json]`: the Doppler secrets an environment needs. */
export function addSecretsCommand(program: Command): void {
  const secrets = program
    .command('secrets')
    .description('the Doppler secrets each environment needs (dist/secrets/<env>.json): check them, or sync them to Railway; names only, never values');

  secrets
    .command('check')
    .description(
      "fetch the environment's Doppler config (DOPPLER_TOKEN, a service token for it), or read a dotenv file with --dotenv, and report, by service, every needed secret that is missing, empty or breaks its rule (length, format); exit 1 if any",
    )
    .requiredOption('--env <name>', 'the environment, e.g. staging')
    .addOption(new Option('--dotenv [file]', "check a dotenv file instead of Doppler (default: dist/compose/<env>/.env, the one Compose reads)"))
    .addOption(new Option('--json', 'print the report as JSON'))
    .action(async (options: { env: string; json?: boolean; dotenv?: string | true }) => {
      const { secretsCheckCommand } = await import('../secrets.ts');
      process.exitCode = await secretsCheckCommand(options);
    });

  secrets
    .command('sync')
    .description("copy the secrets the environment's Railway services read from Doppler (DOPPLER_TOKEN) into its Railway shared variables (RAILWAY_API_TOKEN), staged with skipDeploys; only for railway.secretSync: 'cli'")
    .requiredOption('--env <name>', 'the environment, e.g. staging')
    .addOption(new Option('--json', 'print what was synced as JSON'))
    .action(async (options: { env: string; json?: boolean }) => {
      const { secretsSyncCommand } = await import('../secrets.ts');
      process.exitCode = await secretsSyncCommand(options);
    });
}
