import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { FILES_OUTSIDE_DIST } from '../charts/render.ts';
import { TARGETS } from '../charts/targets/index.ts';

export interface ValidateOptions {
  /** Output root holding `dist/` and `.railway/`. */
  readonly root: string;
  /** Where progress goes. @default - stdout */
  readonly log?: (line: string) => void;
}

/**
 * Validates rendered output offline, without a cluster, Docker or Railway: each target checks its
 * own files (Kubernetes objects and Argo CD Applications against their schemas, Compose files
 * against the Compose Specification, `.railway/railway.ts` evaluated with the real `railway/iac`
 * SDK). Returns the problems (empty when all is well) after printing them.
 */
export async function validate(options: ValidateOptions): Promise<string[]> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const files = await readRendered(options.root);
  const problems: string[] = [];
  for (const target of TARGETS) {
    for (const check of await target.validate(files, options.root)) {
      log(`${check.label.padEnd(11)} ${check.checked}: ${check.problems.length === 0 ? 'ok' : `${check.problems.length} problem(s)`}`);
      problems.push(...check.problems);
    }
  }
  for (const problem of problems) log(`  ✗ ${problem}`);
  return problems;
}

/** What synth wrote under `root`, by path: all of `dist/` and the files it owns outside it. */
async function readRendered(root: string): Promise<Map<string, string>> {
  const paths: string[] = [];
  const walk = (folder: string) => {
    if (!existsSync(join(root, folder))) return;
    for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
      const path = posix.join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else paths.push(path);
    }
  };
  walk('dist');
  paths.push(...FILES_OUTSIDE_DIST.filter((path) => existsSync(join(root, path))));
  const files = new Map<string, string>();
  for (const path of paths.sort()) files.set(path, await readFile(join(root, path), 'utf8'));
  return files;
}
