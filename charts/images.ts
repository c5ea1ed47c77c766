import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { StackService } from '../constructs/index.ts';
import { REPO_ROOT } from '../constructs/repo-root.ts';

/** True when the repository path is a file (as opposed to a folder). */
export function isRepositoryFile(path: string): boolean {
  return isFile(join(REPO_ROOT, path));
}

/** Directories that never belong to a build context's identity when git cannot tell. */
const IGNORED_DIRECTORIES = new Set(['node_modules', '.git', '.next', 'dist', 'coverage', '.turbo']);

const contextHashes = new Map<string, string>();

/**
 * A short content hash of the files an image is built from: it changes exactly when one of them
 * changes, so the rendered image tag (and with it the deploy plan) follows the code. Files git
 * ignores (build output, a local .env) do not count, so every checkout renders the same tag.
 */
export function buildContextHash(paths: readonly string[]): string {
  const key = paths.join('\u0000');
  const cached = contextHashes.get(key);
  if (cached !== undefined) return cached;
  const hash = createHash('sha256');
  const files = [...new Set(paths.flatMap(contextFiles))].sort();
  for (const file of files) {
    hash.update(file);
    hash.update('\0');
    hash.update(readFileSync(join(REPO_ROOT, file)));
    hash.update('\0');
  }
  const digest = hash.digest('hex').slice(0, 12);
  contextHashes.set(key, digest);
  return digest;
}

/** Repository-relative paths of the files under a path: tracked or new, not ignored; sorted. */
function contextFiles(context: string): string[] {
  try {
    const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', context], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    // Deleted but still tracked files are listed too; keep only what exists.
    return [...new Set(listed.split('\0').filter((file) => file !== '' && isFile(join(REPO_ROOT, file))))].sort();
  } catch {
    // Not a git checkout (an exported tarball): hash the files as they are.
    const root = join(REPO_ROOT, context);
    const files = isFile(root) ? [root] : walk(root);
    return files.map((file) => relative(REPO_ROOT, file).split('\\').join('/')).sort();
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function walk(directory: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(directory).sort()) {
    if (IGNORED_DIRECTORIES.has(entry)) continue;
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) files.push(...walk(path));
    else files.push(path);
  }
  return files;
}

/**
 * The image a deployed service runs: its pinned image, or for a built service the image CI
 * pushes to the environment's registry, tagged by the build context's content hash.
 */
export function imageOf(service: StackService): string {
  if (service.data.image !== undefined) return service.data.image;
  const build = service.data.build;
  const registry = service.environment.settings.repository?.imageRegistry;
  if (build === undefined || registry === undefined) {
    service.fail('build', 'a built service needs repository.imageRegistry in its environment, so targets know where CI pushes the image');
  }
  return `${registry}/${service.name}:sha-${buildContextHash(build.paths)}`;
}
