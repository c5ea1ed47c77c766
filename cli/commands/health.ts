import { Option, type Command } from 'commander';

/** `health --env <name> [--target t...]`: check every health endpoint reachable from outside. */
export function addHealthCommand(program: Command): void {
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
      const { health } = await import('../health.ts');
      await health({
        env: options.env,
        ...(options.target !== undefined ? { targets: options.target } : {}),
        timeoutSeconds: Number(options.timeout),
        mapOrigin: options.mapOrigin ?? [],
        json: options.json === true,
      });
    });
}
