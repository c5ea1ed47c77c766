import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FakePipedream } from '../fakes/fake-pipedream.ts';
import { REDIS_URL, TOKENS, WORKFLOW_TOKEN } from './mcp.ts';

/** The real server, `src/main.ts`, run as its own process (as the image runs it, with tsx on Node 20). */

export const SERVICE_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const MAIN = join(SERVICE_ROOT, 'src/main.ts');

export interface ProcessSetup {
  readonly port: number;
  readonly fake: FakePipedream;
  readonly databaseUrl: string;
  readonly catalogPath: string;
}

/** The environment `src/main.ts` needs, for the test catalog against the fake Pipedream. */
export function serverEnvironment(setup: ProcessSetup): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    PORT: String(setup.port),
    HOST: '127.0.0.1',
    MCP_AUTH_TOKENS: `console:${TOKENS.console},ten-agent:${TOKENS.tenAgent}`,
    MCP_ALLOWED_HOSTS: '127.0.0.1',
    TOOL_CATALOG: setup.catalogPath,
    DATABASE_URL: setup.databaseUrl,
    REDIS_URL,
    PIPEDREAM_CLIENT_ID: setup.fake.clientId,
    PIPEDREAM_CLIENT_SECRET: setup.fake.clientSecret,
    PIPEDREAM_PROJECT_ID: setup.fake.projectId,
    PIPEDREAM_BASE_URL: setup.fake.url,
    LOOKUP_ORDER_TOKEN: WORKFLOW_TOKEN,
    SHUTDOWN_TIMEOUT_MS: '10000',
  };
}

export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** Everything written to stdout so far (the JSON log). */
  stdout(): string;
  /** The log lines so far, parsed. */
  logLines(): Array<Record<string, unknown>>;
}

export function startServer(env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', MAIN], { cwd: SERVICE_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts the server on `env.PORT` and waits until it answers /health (and /ready, with `ready`). */
export async function startServerProcess(env: NodeJS.ProcessEnv, options: { ready?: boolean } = {}): Promise<ServerProcess> {
  const child = startServer(env);
  let stdout = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${env['PORT']}`;
  await waitUntil(url, options.ready === true ? '/ready' : '/health');
  return {
    url,
    child,
    exited,
    stdout: () => stdout,
    logLines: () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

async function waitUntil(url: string, path: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}${path}`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server did not answer ${path}`);
}
