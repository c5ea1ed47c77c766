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
  return pickEnvironment(await loadEnvironments([...files]), name);
}

/** The environment named `name` among those built; an unknown name is a `CliError` listing the known ones. */
export function pickEnvironment<T extends { readonly name: string }>(environments: readonly T[], name: string): T {
  const environment = environments.find((candidate) => candidate.name === name);
  if (environment === undefined) throw unknownEnvironment(name, environments.map((candidate) => candidate.name));
  return environment;
}

/** The one wording of an unknown environment name, for every command. */
export function unknownEnvironment(name: string, known: readonly string[]): CliError {
  return new CliError(`unknown environment "${name}": the environment files define ${known.map((candidate) => `"${candidate}"`).join(', ')}`);
}
