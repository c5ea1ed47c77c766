import { sortKeys } from './serialize.ts';

/**
 * The part of the root package.json that npm reads when a workspace image installs with
 * `npm ci --workspace=<workspace> --include-workspace-root=false --ignore-scripts` (as the MCP
 * server's and the console's Dockerfiles do). A build that hashes this slice instead of the whole
 * file rebuilds when the install can come out differently, not when a root tool is bumped.
 *
 * In:
 * - `workspaces`: which folders are workspaces, so which one the install links and fills.
 * - `overrides`: npm resolves the whole tree, this workspace's packages included, through them.
 * - `engines`, `devEngines`: npm checks the root's Node and npm against them (a warning, or a
 *   failed build under engine-strict; devEngines fails by default).
 * - `os`, `cpu`, `libc`: npm checks the root's platform against them and refuses another.
 * - `packageManager`: npm itself ignores it, but corepack, where an image enables it, picks the
 *   npm that runs the install from it.
 *
 * Out:
 * - `dependencies`, `devDependencies`, `optionalDependencies`, `peerDependencies`,
 *   `bundleDependencies`: `--include-workspace-root=false` installs none of the root's. A package
 *   the workspace shares with the root installs at the version the lock file pins, which the
 *   workspace's lock file slice already counts; and a range edited without the lock makes
 *   `npm ci` fail rather than install something else.
 * - `scripts`, `config`: `--ignore-scripts` runs no root lifecycle script, and `npm run
 *   --workspace` runs the workspace's own scripts, not the root's.
 * - `name`, `version`, `description`, `private`, `type` and the rest: npm installs nothing
 *   differently for them, and each workspace's own package.json, not the root's, tells Node how
 *   to load the workspace's code.
 */
const FIELDS = ['workspaces', 'overrides', 'engines', 'devEngines', 'os', 'cpu', 'libc', 'packageManager'] as const;

/** The slice as canonical JSON: the fields above that the file has, keys sorted at every level. */
export function rootPackageSlice(packageJsonText: string): string {
  const manifest = JSON.parse(packageJsonText) as Record<string, unknown>;
  return JSON.stringify(sortKeys(Object.fromEntries(FIELDS.map((field) => [field, manifest[field]]))));
}
