import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RootConstruct, type Construct } from 'constructs';
import { SOURCE_FILE_CONTEXT, SpecError, StackEnvironment } from '../constructs/index.ts';
import { REPO_ROOT } from '../constructs/repo-root.ts';

/** What an environment file default-exports. */
export type EnvironmentBuilder = (scope: Construct) => StackEnvironment;

/**
 * Imports environment files and builds each one's construct tree. Each file gets its own root, so
 * construct paths start at the environment name; validation of a single service already runs
 * here, as the constructs are created.
 */
export async function loadEnvironments(files: string[]): Promise<StackEnvironment[]> {
  const environments: StackEnvironment[] = [];
  for (const file of files) {
    const absolute = resolve(file);
    const shown = relative(REPO_ROOT, absolute).split('\\').join('/');
    if (!existsSync(absolute)) throw new SpecError({}, `environment file ${file} does not exist`);
    let module: { default?: unknown };
    try {
      module = (await import(pathToFileURL(absolute).href)) as { default?: unknown };
    } catch (error) {
      throw new SpecError({}, `${shown} could not be loaded: ${firstLine(error)}`);
    }
    if (typeof module.default !== 'function') {
      throw new SpecError({}, `${shown} must default-export a function (scope) => StackEnvironment`);
    }
    const root = new RootConstruct();
    root.node.setContext(SOURCE_FILE_CONTEXT, shown);
    const built = (module.default as EnvironmentBuilder)(root);
    if (!StackEnvironment.isStackEnvironment(built)) {
      throw new SpecError(
        {},
        `${shown}: its default export must return the StackEnvironment it builds ` +
          '(a file outside this repository loads its own copy of the constructs; keep environment files inside it)',
      );
    }
    const duplicate = environments.find((environment) => environment.name === built.name);
    if (duplicate !== undefined) {
      throw new SpecError(
        { environment: built.name },
        `environment name is used by both ${duplicate.sourceFile ?? 'another file'} and ${shown}`,
      );
    }
    environments.push(built);
  }
  return environments;
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0] ?? '';
}
