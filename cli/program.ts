import { Command } from 'commander';
import { addCheckUpdatesCommand } from './commands/check-updates.ts';
import { addDeployCommand } from './commands/deploy.ts';
import { addDiffCommand } from './commands/diff.ts';
import { addHealthCommand } from './commands/health.ts';
import { addPlanCommand } from './commands/plan.ts';
import { addSecretsCommand } from './commands/secrets.ts';
import { addSynthCommand } from './commands/synth.ts';
import { addValidateCommand } from './commands/validate.ts';

/**
 * The project's command line: `npm run synth`, `npm run validate`, and the GitOps commands, one
 * file each under cli/commands/, listed in help in this order. Exit codes: 0 success, 1 a problem
 * in the stack description, the rendered output or the operation (named in the message), 2 an
 * internal error; commands may document more.
 */
export function voiceAgentProgram(): Command {
  const program = new Command()
    .name('voice-agent')
    .description('Render and check the voice-agent stack for Kubernetes, Docker Compose and Railway.')
    .showHelpAfterError();
  for (const addCommand of [addSynthCommand, addValidateCommand, addPlanCommand, addDiffCommand, addSecretsCommand, addDeployCommand, addHealthCommand, addCheckUpdatesCommand]) {
    addCommand(program);
  }
  return program;
}
