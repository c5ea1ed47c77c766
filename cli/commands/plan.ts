import { Option, type Command } from 'commander';

/** `plan <base-ref> [--format text|markdown|json]`: what each environment must redeploy, and why. */
export function addPlanCommand(program: Command): void {
  program
    .command('plan')
    .description('which services each environment must redeploy to go from <base-ref> to the working tree, in dependency order')
    .argument('<base-ref>', 'a commit, branch or tag; all zeros (a first push) means everything is new')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text'))
    .action(async (baseRef: string, options: { format: 'text' | 'markdown' | 'json' }) => {
      const { planDeploy } = await import('../plan/plan.ts');
      const { planAsMarkdown, planAsText } = await import('../plan/format-plan.ts');
      const plan = await planDeploy(baseRef, { log: (line) => process.stderr.write(`${line}\n`) });
      process.stdout.write(options.format === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : options.format === 'markdown' ? planAsMarkdown(plan) : planAsText(plan));
    });
}
