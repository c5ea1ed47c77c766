import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ServiceBuild } from '../constructs/index.ts';
import { REPO_ROOT } from '../constructs/repo-root.ts';
import { lockfileSlice } from './lockfile-slice.ts';
import { rootPackageSlice } from './root-package-slice.ts';

/** Where a build context's files are read from: the working tree, or a git commit. */
export interface RepositoryFiles {
  /** Repository-relative paths of the files under a path (a file or a folder), sorted. */
  list(path: string): string[];
  read(file: string): Buffer;
}

/** Directories that never belong to a build context's identity when git cannot tell. */
const IGNORED_DIRECTORIES = new Set(['node_modules', '.git', '.next', 'dist', 'coverage', '.turbo']);
const LOCK_FILE = 'package-lock.json';
const ROOT_PACKAGE = 'package.json';

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** True when the repository path is a file (as opposed to a folder). */
export function isRepositoryFile(path: string): boolean {
  return isFile(join(REPO_ROOT, path));
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
 * The working tree: files git tracks or would add (not ignored), as they are on disk. Outside a
 * git checkout (an exported tarball), every file but build output and dependencies.
 */
export const workingTree: RepositoryFiles = {
  list(path) {
    try {
      const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', path], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      // Deleted but still tracked files are listed too; keep only what exists.
      return [...new Set(listed.split('\0').filter((file) => file !== '' && isFile(join(REPO_ROOT, file))))].sort();
    } catch {
      const root = join(REPO_ROOT, path);
      const files = isFile(root) ? [root] : walk(root);
      return files.map((file) => relative(REPO_ROOT, file).split('\\').join('/')).sort();
    }
  },
  read: (file) => readFileSync(join(REPO_ROOT, file)),
};

/** The files of a commit (`git ls-tree`, `git show`), without touching the working tree. */
export function gitCommit(ref: string, cwd: string = REPO_ROOT): RepositoryFiles {
  const git = (args: string[]) => execFileSync('git', args, { cwd, maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  return {
    list: (path) => git(['ls-tree', '-r', '-z', '--name-only', ref, '--', path]).toString('utf8').split('\0').filter((file) => file !== '').sort(),
    read: (file) => git(['show', `${ref}:${file}`]),
  };
}

/**
 * What each input of an image is, by path: a digest of the file, or for the lock file and the
 * root package.json of a workspace build, of the part of them its install reads. Two builds with
 * equal inputs make the same image; `inputsChanged` tells which differ.
 */
export function buildInputs(build: ServiceBuild, files: RepositoryFiles): Map<string, string> {
  const inputs = new Map<string, string>();
  for (const file of [...new Set(build.paths.flatMap((path) => files.list(path)))].sort()) {
    let content: Buffer | string = files.read(file);
    if (file === LOCK_FILE && build.npmWorkspace !== undefined) {
      content = lockfileSlice(content.toString('utf8'), build.npmWorkspace.path, { includeDev: build.npmWorkspace.devDependencies });
    }
    if (file === ROOT_PACKAGE && build.npmWorkspace !== undefined) content = rootPackageSlice(content.toString('utf8'));
    inputs.set(file, createHash('sha256').update(content).digest('hex'));
  }
  return inputs;
}

/** The image's identity: one digest over its inputs' paths and digests. */
export function buildDigest(inputs: Map<string, string>): string {
  const hash = createHash('sha256');
  for (const [file, digest] of inputs) hash.update(`${file}\0${digest}\0`);
  return hash.digest('hex');
}

/** Paths whose input differs between two builds (added, removed or changed), sorted. */
export function inputsChanged(before: Map<string, string>, after: Map<string, string>): string[] {
  const paths = new Set([...before.keys(), ...after.keys()]);
  return [...paths].filter((path) => before.get(path) !== after.get(path)).sort();
}
