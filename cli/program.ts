import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { REPO_ROOT } from '../constructs/repo-root.ts';
import { addCheckUpdatesCommand } from './commands/check-updates.ts';
import { addDeployCommand } from './commands/deploy.ts';
import { addDiffCommand } from './commands/diff.ts';
import { addHealthCommand } from './commands/health.ts';
import { addPlanCommand } from './commands/plan.ts';
import { addSecretsCommand } from './commands/secrets.ts';
import { addSmokeCommand } from './commands/smoke.ts';
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
  for (const addCommand of [addSynthCommand, addValidateCommand, addPlanCommand, addDiffCommand, addSecretsCommand, addDeployCommand, addHealthCommand, addCheckUpdatesCommand, addSmokeCommand]) {
    addCommand(program);
  }
  // On every command too: each npm script runs one (`npm run synth -- --version`).
  for (const command of [program, ...program.commands]) command.version(repositoryVersion(), '-V, --version', 'print the version of this repository (package.json) and exit');
  return program;
}

/** The root package.json's version: what `--version` prints. */
function repositoryVersion(): string {
  return (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}
