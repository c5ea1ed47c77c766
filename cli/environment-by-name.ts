import { join } from 'node:path';
import type { StackEnvironment } from '../constructs/index.ts';
import { REPO_ROOT } from '../constructs/repo-root.ts';
import { ENVIRONMENT_FILES } from '../environments/index.ts';
import { CliError } from './cli-error.ts';
import { loadEnvironments } from './load-environments.ts';

/**
 * Builds the environment files (default: this repository's) and returns the one named `name`;
 * an unknown name is a `CliError` listing the known ones.
 */
export async function environmentByName(name: string, files: readonly string[] = ENVIRONMENT_FILES.map((file) => join(REPO_ROOT, file))): Promise<StackEnvironment> {
  const environments = await loadEnvironments([...files]);
  const environment = environments.find((candidate) => candidate.name === name);
  if (environment === undefined) {
    throw new CliError(`unknown environment "${name}": the environment files define ${environments.map((candidate) => `"${candidate.name}"`).join(', ')}`);
  }
  return environment;
}
