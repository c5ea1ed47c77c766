import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { CliError } from '../cli-error.ts';
import type { SmokePlan } from './smoke-plan.ts';

/** `docker compose` with the smoke test's project, files, throw-away .env and profiles (none: the core). */
export function composeArguments(plan: SmokePlan): string[] {
  return [
    'compose',
    '--project-name',
    plan.projectName,
    '--project-directory',
    dirname(plan.composeFile),
    '--env-file',
    plan.envFile,
    '--file',
    plan.composeFile,
    '--file',
    plan.overrideFile,
    ...plan.profiles.flatMap((profile) => ['--profile', profile]),
  ];
}

/**
 * Start the plan's services and wait until each is healthy. `--no-build`: our images are the
 * ones just built (a missing one is refused before this runs, not built here); the vendors'
 * images (Jitsi, PostgreSQL, Redis) are pulled when missing.
 */
export function upArguments(plan: SmokePlan, timeoutSeconds: number): string[] {
  return [...composeArguments(plan), 'up', '--detach', '--wait', '--wait-timeout', String(timeoutSeconds), '--no-build', ...plan.services];
}

/** A started service's health command, run in its container. */
export function execArguments(plan: SmokePlan, service: string, command: readonly string[]): string[] {
  return [...composeArguments(plan), 'exec', '-T', service, ...command];
}

export function logsArguments(plan: SmokePlan): string[] {
  return [...composeArguments(plan), 'logs', '--no-color', '--timestamps'];
}

export function psArguments(plan: SmokePlan): string[] {
  return [...composeArguments(plan), 'ps', '--all'];
}

export function downArguments(plan: SmokePlan): string[] {
  return [...composeArguments(plan), 'down', '--volumes', '--remove-orphans', '--timeout', '30'];
}

export interface DockerResult {
  readonly status: number;
  readonly output: string;
}

/**
 * Runs docker with `args`; COMPOSE_PROFILES and COMPOSE_FILE from the caller's environment are
 * dropped, so only the plan's profiles and files count. `echo` copies the output through as it comes.
 */
export async function docker(args: readonly string[], options: { readonly echo?: boolean; readonly timeoutMs?: number } = {}): Promise<DockerResult> {
  const env = { ...process.env };
  delete env['COMPOSE_PROFILES'];
  delete env['COMPOSE_FILE'];
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { env, stdio: ['ignore', 'pipe', 'pipe'], ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}) });
    let output = '';
    const take = (chunk: Buffer, stream: NodeJS.WriteStream) => {
      output += chunk.toString();
      if (options.echo === true) stream.write(chunk);
    };
    child.stdout.on('data', (chunk: Buffer) => take(chunk, process.stdout));
    child.stderr.on('data', (chunk: Buffer) => take(chunk, process.stderr));
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new CliError('docker is not installed here: smoke up, logs, down and the health commands in containers need Docker with the compose plugin') : error),
    );
    child.on('close', (code, signal) => resolve({ status: code ?? (signal === null ? 1 : 128), output }));
  });
}
