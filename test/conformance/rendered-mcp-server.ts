import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The Compose file the development environment renders, as committed. */
const DEVELOPMENT_COMPOSE = join(REPO_ROOT, 'dist/compose/development/compose.yaml');

/** The image copies the repository's files under /app (services/mcp-server/Dockerfile). */
const IMAGE_ROOT = '/app/';

/** Compose's `${NAME:?message}`: a secret `doppler run --` or `.env` fills in. */
const REQUIRED_VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*):\?[^}]*\}/g;

/** What only the Compose network and Doppler provide, swapped for local stand-ins. */
export interface LocalStandIns {
  /** A value for every secret the rendering interpolates. */
  readonly secrets: Readonly<Record<string, string>>;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** The port the server listens on here (the rendering's is taken by nobody's guarantee). */
  readonly port: number;
  /** The port clients reach it at here; the rendered origins name the rendered port instead. */
  readonly clientPort: number;
}

/** The MCP server's variables exactly as the development rendering sets them. */
export function renderedMcpServerVariables(): Record<string, string> {
  const compose = parse(readFileSync(DEVELOPMENT_COMPOSE, 'utf8')) as { services: Record<string, { environment?: Record<string, string> }> };
  const environment = compose.services['mcp-server']?.environment;
  if (environment === undefined) throw new Error(`${DEVELOPMENT_COMPOSE} has no mcp-server service with an environment`);
  return environment;
}

/**
 * The environment the development rendering gives the MCP server, with its secrets filled in
 * and its network names, ports and image paths mapped onto this machine. Everything else
 * (allowed hosts, trusted callers, limits, log level) is used as rendered.
 */
export function localEnvironment(standIns: LocalStandIns): Record<string, string> {
  const rendered = renderedMcpServerVariables();
  const renderedPort = rendered['PORT'] ?? '8080';
  const local: Record<string, string> = {};
  for (const [name, value] of Object.entries(rendered)) {
    local[name] = String(value)
      .replace(REQUIRED_VARIABLE, (_, secret: string) => {
        const filled = standIns.secrets[secret];
        if (filled === undefined) throw new Error(`the rendering of mcp-server reads secret ${secret} (in ${name}); give the test a value for it`);
        return filled;
      })
      .replaceAll('$$', '$');
  }
  local['DATABASE_URL'] = standIns.databaseUrl;
  local['REDIS_URL'] = standIns.redisUrl;
  local['PORT'] = String(standIns.port);
  if (local['TOOL_CATALOG']?.startsWith(IMAGE_ROOT)) local['TOOL_CATALOG'] = join(REPO_ROOT, local['TOOL_CATALOG'].slice(IMAGE_ROOT.length));
  // The server's own origins, at the port its clients use here.
  local['MCP_ALLOWED_ORIGINS'] = (local['MCP_ALLOWED_ORIGINS'] ?? '')
    .split(',')
    .map((origin) => origin.replace(new RegExp(`:${renderedPort}$`), `:${standIns.clientPort}`))
    .join(',');
  return local;
}

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  stop(): Promise<void>;
}

/**
 * Runs the server the way its image does, `node services/mcp-server/src/main.ts` with Node's own
 * type stripping, on the given Node binary; resolves once `/health` answers.
 */
export async function startServerProcess(nodeBinary: string, env: Record<string, string>): Promise<RunningProcess> {
  let output = '';
  const child = spawn(nodeBinary, ['services/mcp-server/src/main.ts'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  const health = `http://127.0.0.1:${env['PORT']}/health`;
  for (let attempt = 0; attempt < 150; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`the MCP server exited with ${child.exitCode}:\n${output}`);
    if (await fetch(health).then((response) => response.ok, () => false)) return { child, output: () => output, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`the MCP server did not answer ${health} within 15 s:\n${output}`);
}
