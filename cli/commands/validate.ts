import { Option, type Command } from 'commander';
import { validate } from '../validate.ts';

/** `validate [--dir <dir>]`: check rendered output offline; exit 1 on any problem. */
export function addValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('validate rendered output offline: Kubernetes schemas, the Compose spec, Railway IaC with its SDK')
    .addOption(new Option('--dir <dir>', 'output root to validate').default('.'))
    .action(async (options: { dir: string }) => {
      const problems = await validate({ root: options.dir });
      if (problems.length > 0) process.exitCode = 1;
    });
}
