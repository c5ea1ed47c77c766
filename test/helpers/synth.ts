import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { renderEnvironments } from '../../charts/render.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import type { RenderedOutput } from '../../charts/rendered-output.ts';
import { loadEnvironments } from '../../cli/load-environments.ts';
import type { StackEnvironment } from '../../constructs/index.ts';
import { ENVIRONMENT_FILES } from '../../environments/index.ts';

/** Path of a fixture environment file, relative to the repository root. */
export function fixture(name: string): string {
  return `test/fixtures/environments/${name}.ts`;
}

/** Builds environments from files (default: the real ones) without rendering. */
export async function buildEnvironments(files: string[] = ENVIRONMENT_FILES): Promise<StackEnvironment[]> {
  return loadEnvironments(files.map((file) => join(REPO_ROOT, file)));
}

/** Builds and renders environments in memory. */
export async function render(files: string[] = ENVIRONMENT_FILES): Promise<{ environments: StackEnvironment[]; output: RenderedOutput }> {
  const environments = await buildEnvironments(files);
  return { environments, output: renderEnvironments(environments) };
}

/** A fresh temporary directory. */
export function temporaryDirectory(prefix = 'voice-agent-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Runs the project CLI from the repository root exactly as the npm scripts do
 * (`node --import tsx cli/index.ts <command> -- <args>`).
 */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const [command = '', ...rest] = args;
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'cli/index.ts', command, '--', ...rest], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Every file under a directory, as relative path → content; missing directories give an empty map. */
export function readTree(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (directory: string) => {
    let entries: string[];
    try {
      entries = readdirSync(directory);
    } catch {
      return;
    }
    for (const entry of entries.sort()) {
      const path = join(directory, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(root, path).split('\\').join('/'), readFileSync(path, 'utf8'));
    }
  };
  walk(root);
  return files;
}
