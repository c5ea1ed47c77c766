import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RootConstruct, type Construct } from 'constructs';
import { SOURCE_FILE_CONTEXT, SpecError, StackEnvironment } from '../constructs/index.ts';
import { describeValue } from '../constructs/zod-issues.ts';
import { environmentFileError, show } from './environment-file-errors.ts';

/** What an environment file default-exports. */
export type EnvironmentBuilder = (scope: Construct) => StackEnvironment;

/**
 * Imports environment files and builds each one's construct tree. Each file gets its own root, so
 * construct paths start at the environment name; validation of a single service already runs
 * here, as the constructs are created. Whatever goes wrong in a file, it comes out as one located
 * error (see `environmentFileError`).
 */
export async function loadEnvironments(files: string[]): Promise<StackEnvironment[]> {
  const environments: StackEnvironment[] = [];
  for (const file of files) {
    const absolute = resolve(file);
    const shown = show(absolute);
    if (!existsSync(absolute)) throw new SpecError({}, `environment file ${file} does not exist`);
    let module: { default?: unknown };
    try {
      module = (await import(pathToFileURL(absolute).href)) as { default?: unknown };
    } catch (error) {
      throw environmentFileError(error, absolute);
    }
    if (typeof module.default !== 'function' || /^class[\s{]/.test(Function.prototype.toString.call(module.default))) {
      throw new SpecError({}, `${shown} must default-export a function (scope) => StackEnvironment`);
    }
    const root = new RootConstruct();
    root.node.setContext(SOURCE_FILE_CONTEXT, shown);
    let built: unknown;
    try {
      built = (module.default as EnvironmentBuilder)(root);
    } catch (error) {
      throw environmentFileError(error, absolute);
    }
    const environment = checkBuilt(built, root, shown);
    const duplicate = environments.find((candidate) => candidate.name === environment.name);
    if (duplicate !== undefined) {
      throw new SpecError(
        { environment: environment.name },
        `environment name is used by both ${duplicate.sourceFile ?? 'another file'} and ${shown}`,
      );
    }
    environments.push(environment);
  }
  return environments;
}

/** The default export returned the one environment it built, under the root it was given. */
function checkBuilt(built: unknown, root: RootConstruct, shown: string): StackEnvironment {
  if (built instanceof Promise) {
    // Its failure, if any, is reported here; unhandled, it would end the process with a stack trace.
    built.catch(() => {});
    throw new SpecError({}, `${shown}: its default export returned a Promise; build the environment synchronously and return it`);
  }
  if (!StackEnvironment.isStackEnvironment(built)) {
    const lookalike = typeof built === 'object' && built !== null && built.constructor.name === 'StackEnvironment';
    throw new SpecError(
      {},
      lookalike
        ? `${shown}: its default export must return the StackEnvironment it builds ` +
            '(a file outside this repository loads its own copy of the constructs; keep environment files inside it)'
        : `${shown}: its default export must return the StackEnvironment it builds, got ${describeReturned(built)}`,
    );
  }
  if (built.node.root !== root) {
    throw new SpecError({ environment: built.name }, `${shown} builds the environment under a scope of its own; build it under the scope its default export is given`);
  }
  const built_ = root.node.children.filter(StackEnvironment.isStackEnvironment);
  if (built_.length > 1) {
    throw new SpecError(
      {},
      `${shown} builds ${built_.length} environments (${built_.map((environment) => `"${environment.name}"`).join(', ')}); an environment file builds exactly one, so give each its own file`,
    );
  }
  return built;
}

function describeReturned(value: unknown): string {
  if (value === undefined) return 'undefined (a missing return?)';
  if (typeof value === 'object' && value !== null && value.constructor !== Object) return `a ${value.constructor.name}`;
  return describeValue(value);
}
