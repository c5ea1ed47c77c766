import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { START_POSTGRES, START_REDIS } from '../../dev/preflight.ts';
import { DEV_PROCESSES, portVariable } from '../../dev/settings.ts';
import { POSTGRES_ADMIN_URL, REDIS_URL } from '../../services/mcp-server/test/helpers/mcp.ts';
import { freePort } from '../helpers/free-port.ts';
import {
  DEV_LOCK_TIMEOUT_MS,
  descendantsOf,
  devDatabaseUrl,
  devRedisUrl,
  dropDevDatabases,
  environmentOfProcess,
  freeRange,
  readyLines as readyLinesOf,
  signInThroughConsole,
  startDev,
  stillRuns,
  stopDevRuns,
  testUserOf,
  waitForLine,
} from '../helpers/npm-run-dev.ts';

/**
 * `npm run dev` for real: every process on free ports, the test user signed in through the
 * stand-in identity provider over HTTP, the MCP tools listed and one run through the console's
 * API (the routes its page uses), the agent brought into a room, then SIGINT, after which none of
 * the processes it started, or theirs (Chromium, next dev's server, the TEN session), may be left. next dev compiles each route on its first
 * request, slowly on two cores: this test starts it once and waits generously.
 */

const READY_TIMEOUT_MS = 420_000;
const STOP_TIMEOUT_MS = 90_000;

/** Database 2 of the tests' Redis: away from the tests' keys on database 0 and from a developer's npm run dev on 1. */
const DEV_REDIS_URL = devRedisUrl(2);

afterAll(async () => {
  await stopDevRuns();
  await dropDevDatabases();
}, STOP_TIMEOUT_MS);

describe('npm run dev', () => {
  it('starts every process, signs the test user in, lists and runs the MCP tools and starts the agent through the console, and leaves nothing behind on SIGINT', async () => {
    const ports: Record<string, string> = {};
    for (const name of DEV_PROCESSES) ports[portVariable(name)] = String(await freePort());
    expect(new Set(Object.values(ports)).size).toBe(DEV_PROCESSES.length);
    const databaseUrl = devDatabaseUrl();
    const { dev, stdout: output, stderr: errors } = await startDev([], {
      ...ports,
      DEV_FRONTEND_METRICS_PORT: String(await freePort()),
      DEV_TEN_WORKER_PORTS: await freeRange(),
      DEV_POSTGRES_URL: databaseUrl,
      DEV_REDIS_URL,
    });
    await waitForLine(dev, output, /^dev: all 8 are ready/m, READY_TIMEOUT_MS);
    const stdout = output();

    // One ready line per process, each where its port variable put it.
    const readyLines = readyLinesOf(stdout);
    expect([...readyLines.keys()].sort()).toEqual([...DEV_PROCESSES].sort());
    for (const name of DEV_PROCESSES) expect(new URL(readyLines.get(name)!.url).port).toBe(ports[portVariable(name)]);
    expect(stdout).toContain(`dev: PostgreSQL 127.0.0.1:5432, database ${new URL(databaseUrl).pathname.slice(1)} (created)`);

    const { user, password } = testUserOf(readyLines.get('identity-provider')!.about);
    const consoleUrl = readyLines.get('frontend')!.url;
    const issuer = readyLines.get('identity-provider')!.url;

    // Sign in as a browser does: the console's login, the provider's form, the console's callback.
    const session = await signInThroughConsole(consoleUrl, issuer, user, password);
    expect(session).toMatch(/^console-session=.+/);

    // The tools the page lists: the catalog the stack ships, served by the MCP server.
    const catalog = parse(readFileSync(join(REPO_ROOT, 'services/mcp-server/catalog/tools.yaml'), 'utf8')) as { tools: Array<{ name: string }> };
    const tools = await fetch(`${consoleUrl}/api/tools`, { headers: { cookie: session } });
    expect(tools.status).toBe(200);
    const listed = ((await tools.json()) as { tools: Array<{ name: string }> }).tools.map((tool) => tool.name);
    expect(listed.sort()).toEqual(catalog.tools.map((tool) => tool.name).sort());

    // A workflow runs against the fake Pipedream, which answers with what it was sent.
    const call = await fetch(`${consoleUrl}/api/tools/call`, {
      method: 'POST',
      headers: { cookie: session, origin: consoleUrl, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ name: 'lookup_order', arguments: { order_id: 'A-1001' } }),
    });
    const outcome = (await call.json()) as { isError: boolean; text: string };
    expect(call.status, JSON.stringify(outcome)).toBe(200);
    expect(outcome.isError).toBe(false);
    expect(JSON.parse(outcome.text)).toEqual({ echo: { order_id: 'A-1001' } });

    // The agent joins a room: the bridge's Chromium in the Jitsi stand-in, a session of the TEN stand-in.
    const start = await fetch(`${consoleUrl}/api/agent/start`, {
      method: 'POST',
      headers: { cookie: session, origin: consoleUrl, 'content-type': 'application/json' },
      body: JSON.stringify({ room: 'dev-test-room' }),
    });
    const agent = (await start.json()) as { running?: boolean; agent?: { state?: string } };
    expect(start.status, JSON.stringify(agent)).toBe(200);
    expect(agent).toMatchObject({ running: true, agent: { state: 'active' } });

    const processesWhileRunning = descendantsOf(dev.pid!);
    expect(processesWhileRunning.some((entry) => /chromium/.test(entry.command))).toBe(true);
    expect(processesWhileRunning.some((entry) => /next-server/.test(entry.command))).toBe(true);
    expect(processesWhileRunning.some((entry) => /worker\.mjs --property/.test(entry.command))).toBe(true);

    // The secrets made for this run, as the console and the MCP server got them: long enough, and never printed.
    const environmentOf = (pattern: RegExp) => {
      const entry = processesWhileRunning.find((candidate) => pattern.test(candidate.command));
      expect(entry, `no process ${pattern}`).toBeDefined();
      return environmentOfProcess(entry!.pid);
    };
    const consoleEnv = environmentOf(/next dev/);
    const mcpEnv = environmentOf(/services\/mcp-server\/src\/main\.ts/);
    const secrets = ['SESSION_SECRET', 'MCP_CONSOLE_TOKEN', 'AGENT_BRIDGE_TOKEN', 'OIDC_CLIENT_SECRET', 'JWT_APP_SECRET'].map((name) => consoleEnv.get(name) ?? '');
    secrets.push(...(mcpEnv.get('MCP_AUTH_TOKENS') ?? '').split(',').map((pair) => pair.slice(pair.indexOf(':') + 1)));
    expect(secrets).toHaveLength(7);
    for (const secret of secrets) expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(new Set(secrets).size).toBe(secrets.length - 1); // the console's MCP token twice: its own and in the server's list

    // Ctrl-C: everything stops, and nothing it started is left.
    const exited = new Promise<number | null>((resolve) => dev.once('exit', (code) => resolve(code)));
    dev.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(errors()).toContain('dev: every process stopped');
    const left = processesWhileRunning.filter((entry) => stillRuns(entry.pid));
    expect(left, 'processes left running').toEqual([]);
    for (const secret of secrets) expect(output() + errors()).not.toContain(secret);
  }, DEV_LOCK_TIMEOUT_MS + READY_TIMEOUT_MS + 120_000);

  it('says which process died, stops the others and exits 1 (--only mcp-server: the MCP server and the fake Pipedream)', async () => {
    const ports = { [portVariable('mcp-server')]: String(await freePort()), [portVariable('pipedream')]: String(await freePort()) };
    const { dev, stdout, stderr } = await startDev(['--only', 'mcp-server'], { ...ports, DEV_POSTGRES_URL: devDatabaseUrl(), DEV_REDIS_URL });
    await waitForLine(dev, stdout, /^dev: all 2 are ready/m, 120_000);
    const started = descendantsOf(dev.pid!);
    const server = started.find((entry) => /services\/mcp-server\/src\/main\.ts/.test(entry.command));
    expect(server).toBeDefined();
    const exited = new Promise<number | null>((resolve) => dev.once('exit', (code) => resolve(code)));
    process.kill(server!.pid, 'SIGKILL');
    expect(await exited).toBe(1);
    expect(stderr()).toContain('dev: mcp-server was ended by SIGKILL; stopping the others');
    expect(started.filter((entry) => stillRuns(entry.pid))).toEqual([]);
  }, 180_000);

  it('names PostgreSQL and Redis in one message when neither answers, exits 1 and starts nothing', async () => {
    const [postgresPort, redisPort] = [await freePort(), await freePort()];
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'dev/index.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, DEV_POSTGRES_URL: `postgresql://postgres@127.0.0.1:${postgresPort}/voice_agent_dev`, DEV_REDIS_URL: `redis://127.0.0.1:${redisPort}` },
    });
    expect(result.status).toBe(1);
    expect(result.stderr.match(/cannot start/g)).toHaveLength(1);
    expect(result.stderr).toContain(`PostgreSQL is not answering at 127.0.0.1:${postgresPort} (DEV_POSTGRES_URL)`);
    expect(result.stderr).toContain(`Start it with: ${START_POSTGRES}`);
    expect(result.stderr).toContain(`Redis is not answering at 127.0.0.1:${redisPort} (DEV_REDIS_URL)`);
    expect(result.stderr).toContain(`Start it with: ${START_REDIS}`);
    expect(result.stderr).toContain('nothing was started');
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    // Nothing started: no process said a word, none got ready.
    expect(result.stdout).not.toMatch(/^(ready|dev: starting)/m);
    expect(result.stdout + result.stderr).not.toMatch(/^\S+ +\| /m);
  }, 90_000);

  it('names a missing Chromium, which the agent bridge needs, before anything starts', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'dev/index.ts', '--', '--only', 'jitsi-agent-bridge'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, CHROMIUM_PATH: '/nonexistent/chromium', DEV_POSTGRES_URL: POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, '/voice_agent_dev_unused'), DEV_REDIS_URL: REDIS_URL },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Chromium is missing at /nonexistent/chromium (CHROMIUM_PATH), and the Jitsi agent bridge runs it');
    expect(result.stdout).not.toMatch(/^(ready|dev: starting)/m);
  }, 90_000);
});
