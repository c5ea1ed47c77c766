import { Option, type Command } from 'commander';

/** `diff <base-ref> [--env e] [--service s] [--exit-code]`: the rendered difference as unified diffs. */
export function addDiffCommand(program: Command): void {
  program
    .command('diff')
    .description('the rendered difference between <base-ref> and the working tree, per environment, service and target (unified diff)')
    .argument('<base-ref>', 'a commit, branch or tag')
    .addOption(new Option('--env <name>', 'only this environment'))
    .addOption(new Option('--service <name>', 'only this service'))
    .addOption(new Option('--exit-code', 'exit 3 when anything differs (like git diff --exit-code)'))
    .action(async (baseRef: string, options: { env?: string; service?: string; exitCode?: boolean }) => {
      const { renderedDiff } = await import('../diff.ts');
      const { text, changed } = await renderedDiff(baseRef, {
        log: (line) => process.stderr.write(`${line}\n`),
        ...(options.env !== undefined ? { environment: options.env } : {}),
        ...(options.service !== undefined ? { service: options.service } : {}),
      });
      process.stdout.write(text);
      process.stderr.write(changed === 0 ? 'no rendered service changed\n' : `${changed} rendered units changed\n`);
      if (options.exitCode === true && changed > 0) process.exitCode = 3;
    });
}
