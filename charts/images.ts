import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { StackService } from '../constructs/index.ts';
import { REPO_ROOT } from '../constructs/repo-root.ts';

/** Directories that never belong to a build context's identity. */
const IGNORED_DIRECTORIES = new Set(['node_modules', '.git', '.next', 'dist', 'coverage', '.turbo']);

const contextHashes = new Map<string, string>();

/**
 * A short content hash of a build context: it changes exactly when a file in the context
 * changes, so the rendered image tag (and with it the deploy plan) follows the code.
 */
export function buildContextHash(context: string): string {
  const cached = contextHashes.get(context);
  if (cached !== undefined) return cached;
  const root = join(REPO_ROOT, context);
  const hash = createHash('sha256');
  for (const file of listFiles(root)) {
    hash.update(relative(root, file).split('\\').join('/'));
    hash.update('\0');
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  const digest = hash.digest('hex').slice(0, 12);
  contextHashes.set(context, digest);
  return digest;
}

function listFiles(directory: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(directory).sort();
  } catch {
    throw new Error(`build context "${relative(REPO_ROOT, directory)}" does not exist`);
  }
  const files: string[] = [];
  for (const entry of entries) {
    if (IGNORED_DIRECTORIES.has(entry)) continue;
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) files.push(...listFiles(path));
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
  return `${registry}/${service.name}:sha-${buildContextHash(build.context)}`;
}
