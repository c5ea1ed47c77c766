import { Option, type Command } from 'commander';
import { SpecError } from '../../constructs/index.ts';
import { synth } from '../synth.ts';

/** `synth [--env-file <file...> --out <dir>]`: render every environment and target. */
export function addSynthCommand(program: Command): void {
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
}
