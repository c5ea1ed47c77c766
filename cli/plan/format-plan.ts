import type { DeployPlan, EnvironmentPlan, ServiceChange } from './plan-types.ts';

function base(plan: DeployPlan): string {
  return plan.baseCommit === undefined ? `${plan.baseRef} (no base: everything is new)` : `${plan.baseRef} (${plan.baseCommit.slice(0, 12)})`;
}

function heading(environment: EnvironmentPlan): string {
  return `${environment.environment} [${environment.targets.join(', ')}]`;
}

/** `restart`, `config only`, or per target when they differ: `restart on railway, config only on kubernetes`. */
function effect(change: ServiceChange): string {
  const configOnly = change.targets.filter((target) => !change.restartsOn.includes(target));
  if (configOnly.length === 0) return 'restart';
  if (change.restartsOn.length === 0) return 'config only';
  return `restart on ${change.restartsOn.join(', ')}, config only on ${configOnly.join(', ')}`;
}

/** The plan for a terminal: per environment, the services in deploy order with their reasons. */
export function planAsText(plan: DeployPlan): string {
  const lines = [`plan: ${base(plan)} → working tree`];
  for (const environment of plan.environments) {
    if (environment.changes.length === 0) {
      lines.push(`${heading(environment)}: nothing to redeploy${environment.otherFiles.length > 0 ? ` (${environment.otherFiles.length} environment files changed)` : ''}`);
      continue;
    }
    lines.push(`${heading(environment)}: ${environment.changes.length} to redeploy, in this order`);
    environment.changes.forEach((change, index) => {
      lines.push(`  ${index + 1}. ${change.service} (${change.targets.join(', ')}): ${effect(change)}`);
      for (const reason of change.reasons) lines.push(`       ${reason}`);
    });
    for (const file of environment.otherFiles) lines.push(`  also changed, config only: ${file}`);
  }
  if (plan.images.length > 0) lines.push(`images to build: ${plan.images.map((image) => image.image).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** Escapes what Markdown tables and inline text would misread. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/</g, '&lt;');
}

/** The plan as a pull-request comment: a table per environment. */
export function planAsMarkdown(plan: DeployPlan): string {
  const lines = ['### Deploy plan', '', `Rendered output compared with ${cell(base(plan))}.`, ''];
  for (const environment of plan.environments) {
    if (environment.changes.length === 0) {
      lines.push(`**${cell(heading(environment))}**: nothing to redeploy.`, '');
      continue;
    }
    lines.push(`**${cell(heading(environment))}**: ${environment.changes.length} to redeploy, in this order`, '', '| # | service | targets | applying it | why |', '| --- | --- | --- | --- | --- |');
    environment.changes.forEach((change, index) => {
      lines.push(`| ${index + 1} | \`${change.service}\` | ${change.targets.join(', ')} | ${effect(change)} | ${change.reasons.map(cell).join('<br>')} |`);
    });
    if (environment.otherFiles.length > 0) lines.push('', `Also changed, config only: ${environment.otherFiles.map((file) => `\`${file}\``).join(', ')}`);
    lines.push('');
  }
  if (plan.images.length > 0) lines.push(`Images to build: ${plan.images.map((image) => `\`${image.image}\``).join(', ')}`, '');
  return `${lines.join('\n')}`;
}
