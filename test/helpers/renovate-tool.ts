import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../../constructs/repo-root.ts';

/**
 * Renovate for the tests: installed apart from the workspaces in tools/renovate/ (it is the
 * heaviest install of all, and only test/renovate.test.ts and CI's config check use it). It runs
 * on the Node that runs the tests; Renovate 39 supports Node 20 and 22 and logs an error on others.
 */
export interface RenovateTool {
  /** The renovate package directory, for `createRequire` of Renovate's own modules. */
  readonly packageDir: string;
  /** `renovate` and `renovate-config-validator`, to run with this Node (`process.execPath`). */
  readonly renovate: string;
  readonly configValidator: string;
}

export const RENOVATE_TOOL_ROOT = join(REPO_ROOT, 'tools/renovate');

/** The installed tool, or an error saying how to install it (`npm test` installs it first). */
export function findRenovate(root: string = RENOVATE_TOOL_ROOT): RenovateTool {
  const packageDir = join(root, 'node_modules/renovate');
  const tool = {
    packageDir,
    renovate: join(packageDir, 'dist/renovate.js'),
    configValidator: join(packageDir, 'dist/config-validator.js'),
  };
  const missing = Object.values(tool).find((path) => !existsSync(path));
  if (missing !== undefined) {
    throw new Error(`Renovate is not installed in ${root} (no ${relative(root, missing)}): run \`npm run install:renovate\` (npm test does it first)`);
  }
  return tool;
}
