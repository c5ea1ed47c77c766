import { modelWarnings, validateEnvironment, type StackEnvironment } from '../constructs/index.ts';
import { TENAPP_MANIFEST_PATH, TENAPP_PROPERTY_PATH } from '../constructs/ten/tenapp.ts';
import { renderDiagram } from './diagram/environment-diagram.ts';
import { DOPPLER_REPO_CONFIG_PATH, renderDoppler } from './doppler/index.ts';
import { emptyOutput, mergeOutput, type RenderedOutput } from './rendered-output.ts';
import { TARGETS } from './targets/index.ts';
import { renderTenapp } from './tenapp/index.ts';

/** Which targets to render; the benchmark renders Kubernetes alone to compare. */
export interface RenderOptions {
  readonly only?: 'kubernetes';
}

/** Files outside `dist/` that synth owns, because the tool reading each looks for it there. */
export const FILES_OUTSIDE_DIST: readonly string[] = [...TARGETS.flatMap((target) => target.filesOutsideDist), DOPPLER_REPO_CONFIG_PATH, TENAPP_PROPERTY_PATH, TENAPP_MANIFEST_PATH];

/**
 * Validates every environment, then renders each target for the environments it renders, then
 * what spans the targets (the Doppler lists, the tenapp, each environment's review page), all in
 * memory. Nothing is written here, so a failure anywhere leaves the previous output untouched.
 */
export function renderEnvironments(environments: StackEnvironment[], options: RenderOptions = {}): RenderedOutput {
  for (const environment of environments) validateEnvironment(environment);
  const output = emptyOutput();
  for (const environment of environments) {
    output.warnings.push(...modelWarnings(environment).map((message) => ({ environment: environment.name, message })));
  }
  for (const target of TARGETS) {
    if (options.only !== undefined && target.name !== options.only) continue;
    mergeOutput(output, target.render(environments.filter((environment) => target.renders(environment))));
  }
  // An environment's notes together, in the order of the environments.
  const order = (name: string) => environments.findIndex((environment) => environment.name === name);
  output.warnings.sort((a, b) => order(a.environment) - order(b.environment));
  if (options.only !== undefined) return output;
  mergeOutput(output, renderDoppler(environments));
  mergeOutput(output, renderTenapp(environments));
  for (const environment of environments) {
    const warnings = output.warnings.filter((warning) => warning.environment === environment.name).map((warning) => warning.message);
    renderDiagram(environment, warnings, output);
  }
  return output;
}
