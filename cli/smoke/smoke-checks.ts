import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { FakePipedream } from '../../services/mcp-server/test/fakes/fake-pipedream.ts';
import { docker, execArguments } from './docker-compose.ts';
import type { SmokePlan } from './smoke-plan.ts';

/** One check's result; `detail` says what was seen, never a secret. */
export interface CheckOutcome {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly latencyMs: number;
}

export interface CheckContext {
  readonly plan: SmokePlan;
  /** The throw-away secrets of the run (the .env file). */
  readonly secrets: Readonly<Record<string, string>>;
  /** Run health commands on this machine (services started natively) rather than in the containers. */
  readonly native: boolean;
  /** A rendering's port → the port it is at here. */
  readonly ports: ReadonlyMap<number, number>;
  readonly timeoutMs: number;
  readonly pipedream: FakePipedream;
}

/** The integration checks of the seed plan, each with the services it needs started. */
export interface IntegrationCheck {
  readonly name: string;
  readonly needs: readonly string[];
  run(context: CheckContext): Promise<string>;
}

/** The console's own token for the MCP server (its MCP_AUTH_TOKENS entry `console:`): the check calls as the console. */
const CONSOLE_TOKEN_SECRET = 'MCP_CONSOLE_TOKEN';

export const INTEGRATION_CHECKS: readonly IntegrationCheck[] = [
  {
    name: 'the console reaches the MCP server',
    needs: ['frontend', 'mcp-server'],
    // The console's smoke route lists the tools through the MCP server with the console's token.
    async run(context) {
      const response = await fetch(`${origin(context, 'frontend')}/api/mcp/test`, { signal: AbortSignal.timeout(context.timeoutMs) });
      const body = (await response.json().catch(() => ({}))) as { status?: string; tools?: number; error?: string };
      if (response.status !== 200 || body.status !== 'ok') throw new Error(`/api/mcp/test answered ${response.status}: ${body.error ?? JSON.stringify(body)}`);
      if (!(typeof body.tools === 'number' && body.tools > 0)) throw new Error(`/api/mcp/test listed ${String(body.tools)} tools; the catalog has some`);
      return `${body.tools} tools listed through the MCP server`;
    },
  },
  {
    name: 'the MCP server runs a workflow against the stand-in Pipedream',
    needs: ['mcp-server'],
    async run(context) {
      const tool = firstWorkflow(context.plan.catalog);
      const token = context.secrets[CONSOLE_TOKEN_SECRET];
      if (token === undefined) throw new Error(`the smoke .env has no ${CONSOLE_TOKEN_SECRET}`);
      const before = context.pipedream.requestsTo(`/workflows/${tool.name}`).length;
      const client = new Client({ name: 'voice-agent-smoke-test', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(`${origin(context, 'mcp-server')}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
      try {
        await client.connect(transport, { timeout: context.timeoutMs });
        const result = await client.callTool({ name: tool.name, arguments: tool.arguments }, { timeout: context.timeoutMs });
        if (result.isError === true) throw new Error(`${tool.name} answered an error: ${JSON.stringify(result.content).slice(0, 300)}`);
      } finally {
        await client.close().catch(() => undefined);
      }
      const calls = context.pipedream.requestsTo(`/workflows/${tool.name}`).slice(before);
      if (calls.length !== 1) throw new Error(`the stand-in Pipedream got ${calls.length} requests for workflow ${tool.name}, not 1`);
      const expected = tool.tokenEnv === undefined ? undefined : context.secrets[tool.tokenEnv];
      if (expected !== undefined && calls[0]?.headers.authorization !== `Bearer ${expected}`) throw new Error(`workflow ${tool.name} was called without the trigger token ${tool.tokenEnv}`);
      return `${tool.name} ran once on the stand-in Pipedream${tool.tokenEnv === undefined ? '' : `, with ${tool.tokenEnv}`}`;
    },
  },
  {
    name: "Jitsi's web answers",
    needs: ['jitsi-web'],
    async run(context) {
      const response = await fetch(`${origin(context, 'jitsi-web')}/`, { signal: AbortSignal.timeout(context.timeoutMs) });
      const type = response.headers.get('content-type') ?? '';
      const body = await response.text();
      if (response.status !== 200 || !type.includes('text/html')) throw new Error(`/ answered ${response.status} ${type}`);
      if (!/lib-jitsi-meet|JitsiMeetJS|app\.bundle/i.test(body)) throw new Error('/ answered a page that does not load Jitsi Meet');
      return 'the Jitsi Meet page';
    },
  },
];

/** The started services' health commands, then the integration checks whose services are all checked. */
export async function runChecks(context: CheckContext, services: readonly string[]): Promise<{ outcomes: CheckOutcome[]; skipped: string[] }> {
  const outcomes: CheckOutcome[] = [];
  for (const service of services) {
    const command = context.plan.healthCommands[service];
    if (command === undefined) continue;
    outcomes.push(await timed(`${service}: health command`, () => runHealthCommand(context, service, command)));
  }
  const skipped: string[] = [];
  for (const check of INTEGRATION_CHECKS) {
    const missing = check.needs.filter((name) => !services.includes(name));
    if (missing.length > 0) {
      skipped.push(`${check.name}: needs ${missing.join(', ')}, not checked here`);
      continue;
    }
    outcomes.push(await timed(check.name, () => check.run(context)));
  }
  return { outcomes, skipped };
}

async function timed(name: string, run: () => Promise<string>): Promise<CheckOutcome> {
  const started = performance.now();
  try {
    const detail = await run();
    return { name, ok: true, detail, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { name, ok: false, detail: (error as Error).message, latencyMs: Math.round(performance.now() - started) };
  }
}

/**
 * A Compose healthcheck test: `CMD` runs its arguments, `CMD-SHELL` its string in `sh -c`. In the
 * container through `docker compose exec`; natively, with the rendering's ports moved to where
 * the services listen here.
 */
async function runHealthCommand(context: CheckContext, service: string, test: readonly string[]): Promise<string> {
  const [kind, ...rest] = test;
  if (kind !== 'CMD' && kind !== 'CMD-SHELL') throw new Error(`healthcheck test starts with ${String(kind)}, not CMD or CMD-SHELL`);
  const command = kind === 'CMD-SHELL' ? ['sh', '-c', rest.join(' ')] : rest;
  const result = context.native
    ? await runHere(command.map((part) => withPorts(part, context.ports)), context.timeoutMs)
    : await docker(execArguments(context.plan, service, command), { timeoutMs: context.timeoutMs });
  if (result.status !== 0) throw new Error(`exit ${result.status}${result.output.trim() === '' ? '' : `: ${result.output.trim().slice(-300)}`}`);
  return 'exit 0';
}

function runHere(command: readonly string[], timeoutMs: number): Promise<{ status: number; output: string }> {
  return new Promise((resolve) => {
    const [program, ...args] = command;
    const child = spawn(program as string, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => resolve({ status: 127, output: error.message }));
    child.on('close', (code) => resolve({ status: code ?? 1, output }));
  });
}

/** `127.0.0.1:3000` → `127.0.0.1:<where 3000 is here>`, for loopback addresses only. */
export function withPorts(text: string, ports: ReadonlyMap<number, number>): string {
  return text.replace(/(127\.0\.0\.1|localhost|\[::1\]):(\d+)/g, (whole, host: string, port: string) => {
    const moved = ports.get(Number(port));
    return moved === undefined ? whole : `${host}:${moved}`;
  });
}

function origin(context: CheckContext, service: string): string {
  const port = context.plan.hostPorts[service];
  if (port === undefined) throw new Error(`${service} publishes no TCP port on the host`);
  return `http://127.0.0.1:${context.ports.get(port) ?? port}`;
}

interface WorkflowTool {
  readonly name: string;
  readonly tokenEnv: string | undefined;
  readonly arguments: Record<string, unknown>;
}

/** The catalog's first workflow, with arguments its input schema accepts (each required property filled). */
function firstWorkflow(catalogFile: string): WorkflowTool {
  const catalog = JSON.parse(readFileSync(catalogFile, 'utf8')) as { tools: Array<{ name: string; kind: string; tokenEnv?: string; inputSchema?: { properties?: Record<string, { type?: string }>; required?: string[] } }> };
  const tool = catalog.tools.find((entry) => entry.kind === 'workflow');
  if (tool === undefined) throw new Error(`${catalogFile} has no workflow tool to run`);
  const sample: Record<string, unknown> = { string: 'SMOKE-1', number: 1, integer: 1, boolean: true };
  const args = Object.fromEntries((tool.inputSchema?.required ?? []).map((name) => [name, sample[tool.inputSchema?.properties?.[name]?.type ?? 'string'] ?? 'SMOKE-1']));
  return { name: tool.name, tokenEnv: tool.tokenEnv, arguments: args };
}
