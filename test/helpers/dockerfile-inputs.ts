import { posix } from 'node:path';
import { execForm, parseDockerfile, type Instruction } from './dockerfile.ts';

/** A Dockerfile line that takes files from the build context, and the repository files it takes. */
export interface ContextCopy {
  readonly line: number;
  readonly instruction: string;
  /** Sources as written, resolved against the context: repository paths, possibly with globs. */
  readonly sources: readonly string[];
  /** Repository files the line sends into the build, per source. */
  readonly files: ReadonlyMap<string, readonly string[]>;
}

/** The build, as the model declares it (`ServiceBuild`). */
export interface DeclaredBuild {
  readonly context: string;
  readonly dockerfile: string;
  readonly paths: readonly string[];
}

/**
 * The lines of a Dockerfile that read the build context: COPY and ADD without `--from` (an ADD of
 * a URL reads the network, pinned by the Dockerfile itself) and `RUN --mount` binds of the
 * context. `contextFiles` are the repository files under the context that the build sees: those
 * git does not ignore (what the image hash counts), less what `.dockerignore` leaves out.
 */
export function contextCopies(dockerfile: string, context: string, contextFiles: readonly string[]): ContextCopy[] {
  const copies: ContextCopy[] = [];
  for (const stage of parseDockerfile(dockerfile).stages) {
    for (const instruction of stage.instructions) {
      const sources = contextSources(instruction);
      if (sources.length === 0) continue;
      const resolved = sources.map((source) => resolveSource(context, source));
      copies.push({
        line: instruction.line,
        instruction: `${instruction.keyword} ${instruction.args}`,
        sources: resolved,
        files: new Map(resolved.map((source) => [source, contextFiles.filter((file) => sourceTakes(source, file))])),
      });
    }
  }
  return copies;
}

/**
 * Where a Dockerfile and a service's declared build paths disagree. Every file a COPY takes must
 * be under a build path, or a change to it would not rebuild and redeploy the image; every build
 * path must be taken by some COPY (or be the Dockerfile), or a change to it would redeploy an
 * image that does not contain it; and every COPY source must match a file.
 */
export function buildPathProblems(dockerfile: string, build: DeclaredBuild, contextFiles: readonly string[]): string[] {
  const problems: string[] = [];
  const dockerfilePath = posix.join(build.context, build.dockerfile);
  const covered = (file: string) => build.paths.some((path) => covers(path, file));
  const taken = new Set<string>();
  for (const copy of contextCopies(dockerfile, build.context, contextFiles)) {
    for (const [source, files] of copy.files) {
      if (files.length === 0) problems.push(`line ${copy.line}: ${copy.instruction}: source ${source} matches no file of the build context`);
      for (const file of files) taken.add(file);
      const uncovered = files.filter((file) => !covered(file));
      if (uncovered.length > 0) {
        problems.push(
          `line ${copy.line}: ${copy.instruction}: takes ${uncovered.join(', ')}, which no build path covers, so a change to ${uncovered.length === 1 ? 'it' : 'them'} would not rebuild the image`,
        );
      }
    }
  }
  for (const path of build.paths) {
    if (path === dockerfilePath) continue;
    if (![...taken].some((file) => covers(path, file))) {
      problems.push(`build path ${path} is in no COPY of ${dockerfilePath}, so a change to it would redeploy an image that does not contain it`);
    }
  }
  return problems;
}

/**
 * Files of the context the build sees, after `.dockerignore` (at the context's root), by Docker's
 * rules as far as ours use them: patterns relative to the context root (a leading `/` dropped),
 * `*` and `?` within one path segment, `**` across any number of them, a pattern that matches a
 * folder excludes everything in it, `!` re-includes, the last matching pattern wins.
 */
export function afterDockerignore(files: readonly string[], context: string, dockerignore: string | undefined): string[] {
  const rules = (dockerignore ?? '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const include = line.startsWith('!');
      const pattern = posix.normalize((include ? line.slice(1) : line).replace(/^\/+/, '')).replace(/\/$/, '');
      return { include, matches: globRegExp(pattern) };
    });
  return files.filter((file) => {
    const relative = context === '.' ? file : file.slice(context.length + 1);
    const prefixes = relative.split('/').map((_, index, parts) => parts.slice(0, index + 1).join('/'));
    let excluded = false;
    for (const rule of rules) if (prefixes.some((prefix) => rule.matches.test(prefix))) excluded = !rule.include;
    return !excluded;
  });
}

/** The context sources of one instruction, as written. */
function contextSources(instruction: Instruction): string[] {
  if (instruction.keyword === 'RUN') {
    const mount = instruction.flags['mount'];
    if (mount === undefined) return [];
    const options = Object.fromEntries(mount.split(',').map((option) => option.split('=') as [string, string]));
    if ((options['type'] ?? 'bind') !== 'bind' || options['from'] !== undefined) return [];
    return [options['source'] ?? options['src'] ?? '.'];
  }
  if (instruction.keyword !== 'COPY' && instruction.keyword !== 'ADD') return [];
  if (instruction.flags['from'] !== undefined) return [];
  const words = execForm(instruction.args) ?? instruction.args.split(/\s+/);
  return words.slice(0, -1).filter((source) => !/^(https?:\/\/|git@)/.test(source));
}

function resolveSource(context: string, source: string): string {
  const path = posix.normalize(posix.join(context, source)).replace(/\/$/, '');
  return path === '' ? '.' : path;
}

/** True when a COPY source takes the file: the file itself, a folder holding it, or a glob matching it or a folder of it. */
function sourceTakes(source: string, file: string): boolean {
  if (source === '.') return true;
  if (!/[*?[]/.test(source)) return covers(source, file);
  const matches = globRegExp(source);
  const prefixes = file.split('/').map((_, index, parts) => parts.slice(0, index + 1).join('/'));
  return prefixes.some((prefix) => matches.test(prefix));
}

/** True when a build path (a file or a folder) covers the file. */
function covers(path: string, file: string): boolean {
  return path === '.' || file === path || file.startsWith(`${path}/`);
}

/** `*` and `?` within a segment, `**` for any number of segments (none included). */
function globRegExp(pattern: string): RegExp {
  const segments = pattern.split('/');
  let source = '';
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (segment === '**') {
      source += last ? '.*' : '(?:[^/]+/)*';
      return;
    }
    source += segment.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + (last ? '' : '/');
  });
  return new RegExp(`^${source}$`);
}
