import { join, relative } from 'node:path';
import { renderEnvironments } from '../charts/render.ts';
import type { RenderedOutput } from '../charts/rendered-output.ts';
import { targetsOf } from '../charts/targets/index.ts';
import { dependenciesOf, servicesOf, type StackEnvironment } from '../constructs/index.ts';
import { REPO_ROOT } from '../constructs/repo-root.ts';
import { ENVIRONMENT_FILES } from '../environments/index.ts';
import { loadEnvironments } from './load-environments.ts';
import { writeOutput } from './write-output.ts';

export interface SynthOptions {
  /** Environment files to render. @default - environments/{development,staging,production}.ts */
  readonly envFiles?: string[];
  /** Output root; `dist/` and `.railway/railway.ts` are written under it. @default - the current directory */
  readonly outDir?: string;
  /** Where progress goes. @default - stdout */
  readonly log?: (line: string) => void;
}

export interface SynthResult {
  readonly environments: StackEnvironment[];
  readonly output: RenderedOutput;
}

/**
 * Loads the environment files, validates and renders every target in memory, then writes the
 * result in one swap. Any error is thrown before anything is written.
 */
export async function synth(options: SynthOptions = {}): Promise<SynthResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const started = performance.now();
  // Default environment files live in this repository; files given on the command line are
  // relative to where the command runs.
  const environments = await loadEnvironments(options.envFiles ?? ENVIRONMENT_FILES.map((file) => join(REPO_ROOT, file)));
  const output = renderEnvironments(environments);
  const outDir = options.outDir ?? process.cwd();
  const { kept } = await writeOutput(output, outDir);
  for (const line of summary(environments, output)) log(line);
  if (kept.length > 0) log(`kept ${kept.length} git-ignored file${kept.length === 1 ? '' : 's'} in dist/: ${kept.join(', ')}`);
  const where = relative(process.cwd(), outDir) || '.';
  log(`wrote ${output.files.size} files under ${where} in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  return { environments, output };
}

/** One line per environment (services × targets), then what targets could not express. */
export function summary(environments: StackEnvironment[], output: RenderedOutput): string[] {
  const width = Math.max(...environments.map((environment) => environment.name.length));
  const lines = environments.map((environment) => {
    const services = servicesOf(environment);
    const notes = targetsOf(environment)
      .map((target) => target.summary(environment))
      .filter((note) => note !== undefined);
    const edges = services.reduce((count, service) => count + dependenciesOf(service).length, 0);
    return `  ${environment.name.padEnd(width)}  ${services.length} services × ${environment.settings.targets.join(', ')}  (${edges} connections${notes.length > 0 ? `; ${notes.join('; ')}` : ''})`;
  });
  const warnings = output.warnings.map((warning) => `  ! ${warning.environment}: ${warning.message}`);
  return [`synth: ${environments.length} environment(s)`, ...lines, ...(warnings.length > 0 ? ['notes:', ...warnings] : [])];
}
