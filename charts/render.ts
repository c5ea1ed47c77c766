import { modelWarnings, validateEnvironment, type StackEnvironment } from '../constructs/index.ts';
import { renderArgocd } from './argocd/index.ts';
import { renderCompose } from './compose/index.ts';
import { renderDiagram } from './diagram/environment-diagram.ts';
import { renderDoppler } from './doppler/index.ts';
import { renderKubernetes } from './kubernetes/index.ts';
import { renderRailway } from './railway/index.ts';
import { renderTenapp } from './tenapp/index.ts';
import { emptyOutput, mergeOutput, type RenderedOutput } from './rendered-output.ts';

/** Which targets to render; the benchmark renders Kubernetes alone to compare. */
export interface RenderOptions {
  readonly only?: 'kubernetes';
}

/**
 * Validates every environment, then renders each target it asks for, all in memory. Nothing is
 * written here, so a failure anywhere leaves the previous output untouched.
 */
export function renderEnvironments(environments: StackEnvironment[], options: RenderOptions = {}): RenderedOutput {
  for (const environment of environments) validateEnvironment(environment);
  const output = emptyOutput();
  for (const environment of environments) {
    output.warnings.push(...modelWarnings(environment).map((message) => ({ environment: environment.name, message })));
    if (environment.renders('kubernetes')) {
      mergeOutput(output, renderKubernetes(environment));
      mergeOutput(output, renderArgocd(environment));
    }
    if (options.only !== 'kubernetes' && environment.renders('compose')) mergeOutput(output, renderCompose(environment));
  }
  if (options.only === 'kubernetes') return output;
  mergeOutput(output, renderRailway(environments));
  mergeOutput(output, renderDoppler(environments));
  mergeOutput(output, renderTenapp(environments));
  for (const environment of environments) {
    const warnings = output.warnings.filter((warning) => warning.environment === environment.name).map((warning) => warning.message);
    renderDiagram(environment, warnings, output);
  }
  return output;
}
