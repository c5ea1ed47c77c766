import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../mcp-server/test/helpers/mcp.ts';
import { consoleEnv } from './helpers/config.ts';
import { freePort } from '../../../test/helpers/free-port.ts';
import { FRONTEND_ROOT, requireBuild } from './helpers/console-stack.ts';

/**
 * The image runs Next.js's standalone output, laid out as the Dockerfile lays it out, away from
 * the repository's node_modules: this proves the traced dependencies are enough.
 */
let app: string;
let child: ChildProcess;
let url: string;
let output = '';
let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  requireBuild();
  app = mkdtempSync(join(tmpdir(), 'console-image-'));
  cpSync(join(FRONTEND_ROOT, '.next/standalone'), app, { recursive: true });
  cpSync(join(FRONTEND_ROOT, '.next/static'), join(app, 'services/frontend/.next/static'), { recursive: true });
  cpSync(join(FRONTEND_ROOT, 'public'), join(app, 'services/frontend/public'), { recursive: true });
  database = await createTestDatabase();
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, ['services/frontend/server.js'], {
    cwd: app,
    env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'production', HOSTNAME: '::', PORT: String(port), ...consoleEnv({ PUBLIC_URL: url, DATABASE_URL: database.url }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (await fetch(`${url}/api/health`).then((response) => response.ok, () => false)) return;
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the standalone server did not come up:\n${output}`);
}, 60_000);

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await database?.drop();
  if (app !== undefined) rmSync(app, { recursive: true, force: true });
});

describe('the standalone server the image runs', () => {
  it('listens on HOSTNAME ::, so IPv4 and IPv6 callers reach it', async () => {
    const port = new URL(url).port;
    expect((await fetch(`http://[::1]:${port}/api/health`)).status).toBe(200);
    expect(await (await fetch(`${url}/api/ready`)).json()).toEqual({ status: 'ready', checks: { postgres: true, redis: true } });
  });

  it('serves the sign-in page with its scripts, with the security headers', async () => {
    const page = await fetch(url);
    expect(page.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    expect(page.headers.get('x-powered-by')).toBeNull();
    const html = await page.text();
    const scripts = [...html.matchAll(/src="(\/_next\/static\/[^"]+\.js)"/g)].map((match) => match[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect((await fetch(`${url}${script}`)).status).toBe(200);
  });
});
