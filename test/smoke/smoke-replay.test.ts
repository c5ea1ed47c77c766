import { readFileSync, writeFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSmoke } from '../../cli/smoke.ts';
import { readComposeRendering } from '../../cli/smoke/compose-rendering.ts';
import { prepareSmoke } from '../../cli/smoke/prepare.ts';
import type { SmokePlan } from '../../cli/smoke/smoke-plan.ts';
import { requireBuild, startNext, type NextServer } from '../../services/frontend/test/helpers/console-stack.ts';
import { createTestDatabase, REDIS_URL } from '../../services/mcp-server/test/helpers/mcp.ts';
import { startServerProcess, type ServerProcess } from '../../services/mcp-server/test/helpers/server-process.ts';
import { interpolateEnvironment } from '../helpers/compose-interpolation.ts';
import { freePort } from '../helpers/free-port.ts';
import { temporaryDirectory } from '../helpers/synth.ts';

/**
 * The smoke test's steps that need no Docker, replayed here: `smoke prepare` (the throw-away
 * secrets, the core profile, the stand-in Pipedream's catalog), then `smoke check` against our
 * services started natively from the rendering's environments with those secrets: the health
 * commands the rendering gives (run on this machine, ports moved), the console reaching the MCP
 * server, and a workflow run on the stand-in Pipedream with the generated trigger token. Only
 * where they are and which PostgreSQL and Redis they use changes: this machine's, not containers'.
 */

let plan: SmokePlan;
let secrets: Record<string, string>;
let mcp: ServerProcess | undefined;
let console_: NextServer | undefined;
const closers: Array<() => Promise<unknown>> = [];
const ports = new Map<number, number>();

beforeAll(async () => {
  requireBuild();
  const out = temporaryDirectory('smoke-replay-');
  plan = await prepareSmoke({ env: 'development', out, fakePipedreamPort: await freePort(), fakePipedreamHost: '127.0.0.1' });
  secrets = parseEnv(readFileSync(plan.envFile, 'utf8')) as Record<string, string>;
  const rendered = new Map(readComposeRendering(plan.composeFile).map((service) => [service.name, service]));
  const environment = (name: string) => interpolateEnvironment(rendered.get(name)!.environment, secrets);
  const override = parse(readFileSync(plan.overrideFile, 'utf8')) as { services: Record<string, { environment: Record<string, string> }> };
  const [mcpPort, consolePort] = [await freePort(), await freePort()];
  ports.set(Number(environment('mcp-server')['PORT']), mcpPort);
  ports.set(plan.hostPorts['frontend']!, consolePort);
  // The containers' PostgreSQL and Redis are this machine's here (trust auth, no password).
  const mcpDatabase = await createTestDatabase();
  closers.push(mcpDatabase.drop);
  const consoleDatabase = await createTestDatabase();
  closers.push(consoleDatabase.drop);

  mcp = await startServerProcess(
    {
      PATH: process.env['PATH'],
      ...environment('mcp-server'),
      ...override.services['mcp-server']!.environment,
      // The override mounts tools.json in the container; here it is read where prepare wrote it.
      TOOL_CATALOG: plan.catalog,
      HOST: '127.0.0.1',
      PORT: String(mcpPort),
      DATABASE_URL: mcpDatabase.url,
      REDIS_URL,
      LOG_LEVEL: 'warn',
    },
    { ready: true },
  );
  closers.push(() => stopMcp());
  const consoleEnv = environment('frontend');
  console_ = await startNext(
    {
      ...consoleEnv,
      MCP_SERVER_URL: consoleEnv['MCP_SERVER_URL']!.replace('http://mcp-server:', 'http://127.0.0.1:').replace(/:\d+\//, `:${mcpPort}/`),
      DATABASE_URL: consoleDatabase.url,
      REDIS_URL: `${REDIS_URL}/3`,
      PORT: String(consolePort),
      LOG_LEVEL: 'warn',
    },
    consolePort,
  );
  closers.push(() => console_!.close());
}, 180_000);

async function stopMcp(): Promise<void> {
  if (mcp === undefined || mcp.child.exitCode !== null) return;
  mcp.child.kill('SIGTERM');
  await mcp.exited;
}

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
});

describe('the smoke test, replayed without Docker', () => {
  it("passes every health command and integration check our services take part in, and says what it left to Docker", async () => {
    const { outcomes, skipped } = await checkSmoke(plan, { services: ['frontend', 'mcp-server'], native: true, ports, timeoutMs: 30_000 });
    expect(outcomes.filter((outcome) => !outcome.ok), JSON.stringify(outcomes, null, 2)).toEqual([]);
    expect(outcomes.map((outcome) => outcome.name)).toEqual([
      'frontend: health command',
      'mcp-server: health command',
      'the console reaches the MCP server',
      'the MCP server runs a workflow against the stand-in Pipedream',
    ]);
    expect(outcomes.find((outcome) => outcome.name.startsWith('the MCP server runs'))?.detail).toMatch(/ran once on the stand-in Pipedream, with PIPEDREAM_WORKFLOW_TOKEN/);
    expect(skipped).toEqual(["Jitsi's web answers: needs jitsi-web, not checked here"]);
    // No secret reaches the report.
    const report = JSON.stringify(outcomes);
    for (const value of Object.values(secrets)) if (value.length >= 16) expect(report).not.toContain(value);
  }, 120_000);

  it('fails the workflow check when the MCP server calls the workflow with another trigger token than the .env holds', async () => {
    const original = readFileSync(plan.envFile, 'utf8');
    writeFileSync(plan.envFile, original.replace(/^PIPEDREAM_WORKFLOW_TOKEN=.*$/m, `PIPEDREAM_WORKFLOW_TOKEN=${'0'.repeat(64)}`));
    try {
      const { outcomes } = await checkSmoke(plan, { services: ['mcp-server'], native: true, ports, timeoutMs: 30_000 });
      const workflow = outcomes.find((outcome) => outcome.name.startsWith('the MCP server runs'));
      expect(workflow?.ok).toBe(false);
      expect(workflow?.detail).toMatch(/without the trigger token PIPEDREAM_WORKFLOW_TOKEN/);
      expect(outcomes.find((outcome) => outcome.name === 'mcp-server: health command')?.ok).toBe(true);
    } finally {
      writeFileSync(plan.envFile, original, { mode: 0o600 });
    }
  }, 60_000);

  it('fails the health command and the workflow check when the MCP server is down, naming them', async () => {
    await stopMcp();
    const { outcomes } = await checkSmoke(plan, { services: ['frontend', 'mcp-server'], native: true, ports, timeoutMs: 10_000 });
    const failed = outcomes.filter((outcome) => !outcome.ok).map((outcome) => outcome.name);
    expect(failed).toEqual(expect.arrayContaining(['mcp-server: health command', 'the MCP server runs a workflow against the stand-in Pipedream']));
    expect(outcomes.find((outcome) => outcome.name === 'frontend: health command')?.ok).toBe(true);
  }, 60_000);
});
