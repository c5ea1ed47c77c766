import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakePipedream, type FakePipedream } from './fakes/fake-pipedream.ts';
import { createTestDatabase, testCatalog, TOKENS } from './helpers/mcp.ts';
import { MAIN, SERVICE_ROOT, serverEnvironment, startServerProcess } from './helpers/server-process.ts';
import { freePort } from '../../../test/helpers/free-port.ts';

let fake: FakePipedream;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let catalogPath: string;

function environment(port: number): NodeJS.ProcessEnv {
  return serverEnvironment({ port, fake, databaseUrl: database.url, catalogPath });
}

beforeAll(async () => {
  fake = await startFakePipedream();
  database = await createTestDatabase();
  const directory = mkdtempSync(join(tmpdir(), 'mcp-process-'));
  catalogPath = join(directory, 'tools.yaml');
  const catalog = testCatalog(fake);
  // The sales report takes a while, so a shutdown catches it in flight.
  catalog.tools[1] = { ...catalog.tools[1], timeoutMs: 5_000 } as (typeof catalog.tools)[number];
  writeFileSync(catalogPath, stringify(catalog));
});

afterAll(async () => {
  await fake?.close();
  await database?.drop();
});

describe('the server process', () => {
  it('drains in-flight calls on SIGTERM, writes their audit records, and exits 0', async () => {
    fake.setWorkflow('slow-report', { delayMs: 1_500, body: { total: 42 } });
    const { url, child, exited, stdout } = await startServerProcess(environment(await freePort()));

    const call = fetch(`${url}/execute-tool`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.console}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tool: 'slow_report', args: {} }),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGTERM');
    const response = await call;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ content: [{ type: 'text', text: '{"total":42}' }], structuredContent: { total: 42 } });
    expect(await exited).toBe(0);
    expect(stdout()).toContain('shutting down: draining tool calls');
    expect(stdout()).toContain('"drained":true,"auditLeft":0');
    await expect(fetch(`${url}/health`)).rejects.toThrow();

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query("SELECT outcome FROM mcp_tool_calls WHERE tool = 'slow_report'");
    await client.end();
    expect(rows).toEqual([{ outcome: 'ok' }]);
  });

  it('exits 1 naming the variable when the configuration is wrong', () => {
    const env = { ...environment(8080), MCP_AUTH_TOKENS: undefined, REDIS_URL: 'http://cache:6379' };
    const result = spawnSync(process.execPath, ['--import', 'tsx', MAIN], { cwd: SERVICE_ROOT, env, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('mcp-server: invalid configuration: MCP_AUTH_TOKENS is not set; REDIS_URL must be a redis:// URL\n');
  });

  it('exits 1 naming the catalog entry when the catalog is wrong', () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'mcp-bad-')), 'tools.yaml');
    writeFileSync(bad, stringify({ tools: [{ name: 'run_shell', kind: 'shell', title: 'Shell', description: 'x', inputSchema: { type: 'object' } }] }));
    const result = spawnSync(process.execPath, ['--import', 'tsx', MAIN], { cwd: SERVICE_ROOT, env: { ...environment(8080), TOOL_CATALOG: bad }, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^mcp-server: tool catalog .*tools\.yaml: entry 1 \("run_shell"\), field kind: /);
  });
});
