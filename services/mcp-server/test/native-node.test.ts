import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, REDIS_URL, TOKENS } from './helpers/mcp.ts';
import { stripServiceSources } from './helpers/strip-sources.ts';
import { freePort } from '../../../test/helpers/free-port.ts';

const SERVICE_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The image runs `node src/main.ts` with Node's own type stripping (Node 22.6+), not tsx. This
 * suite runs the amaro-stripped sources with plain Node: Node's own ESM loader then resolves every
 * import and CommonJS interop the way it will in the image.
 */
let stripped: string;
let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  stripped = stripServiceSources();
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
    const port = await freePort();
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
