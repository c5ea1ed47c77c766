import { Command, Option } from 'commander';
import { SpecError } from '../constructs/index.ts';
import { CliError } from './cli-error.ts';
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
  } else if (error instanceof CliError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  }
}
