import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'amaro';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, REDIS_URL, TOKENS } from './helpers/mcp.ts';

const SERVICE_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The image runs `node src/main.ts` with Node's own type stripping (Node 22.6+), not tsx. This
 * suite strips the sources with amaro, the stripper Node uses, in the same strip-only mode (it
 * refuses anything but erasable TypeScript), and runs them with plain Node: Node's own ESM loader
 * then resolves every import and CommonJS interop the way it will in the image.
 */
let stripped: string;
let database: Awaited<ReturnType<typeof createTestDatabase>>;

function listFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((entry) => {
    const path = join(directory, entry);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

beforeAll(async () => {
  // Inside the service, so imports resolve from the workspace's node_modules as in the image.
  stripped = mkdtempSync(join(SERVICE_ROOT, '.strip-test-'));
  for (const file of listFiles(join(SERVICE_ROOT, 'src'))) {
    const { code } = transformSync(readFileSync(file, 'utf8'), { mode: 'strip-only' });
    // Node 20 cannot load .ts files; Node 22.6+ would load them as they are.
    const target = join(stripped, relative(join(SERVICE_ROOT, 'src'), file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, code.replace(/(from\s+['"]\.{1,2}\/[^'"]+)\.ts(['"])/g, '$1.js$2'));
  }
  database = await createTestDatabase();
});

afterAll(async () => {
  rmSync(stripped, { recursive: true, force: true });
  await database?.drop();
});

describe('the server under Node without tsx', () => {
  it('strips to plain JavaScript and reports configuration errors', () => {
    const result = spawnSync(process.execPath, [join(stripped, 'main.js')], { env: { PATH: process.env['PATH'] }, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('mcp-server: invalid configuration: MCP_AUTH_TOKENS is not set');
  });

  it('boots and answers its health check', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const child = spawn(process.execPath, [join(stripped, 'main.js')], {
      env: {
        PATH: process.env['PATH'],
        PORT: String(port),
        HOST: '127.0.0.1',
        MCP_AUTH_TOKENS: `console:${TOKENS.console}`,
        MCP_ALLOWED_HOSTS: '127.0.0.1',
        TOOL_CATALOG: join(SERVICE_ROOT, 'catalog/tools.yaml'),
        PIPEDREAM_WORKFLOW_TOKEN: 'workflow-token-for-the-example-catalog',
        PIPEDREAM_CLIENT_ID: 'id',
        PIPEDREAM_CLIENT_SECRET: 'secret',
        PIPEDREAM_PROJECT_ID: 'proj_x',
        DATABASE_URL: database.url,
        REDIS_URL,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    try {
      let status = 0;
      for (let attempt = 0; attempt < 100 && status !== 200; attempt += 1) {
        status = await fetch(`http://127.0.0.1:${port}/health`).then((response) => response.status, () => 0);
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status, stderr).toBe(200);
      const tools = await fetch(`http://127.0.0.1:${port}/mcp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKENS.console}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(await tools.text()).toContain('"name":"lookup_order"');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.on('exit', resolve));
    }
  });
});
