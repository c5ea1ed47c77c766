import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { consoleEnv, SESSION_SECRET } from './helpers/config.ts';
import { freePort } from '../../../test/helpers/free-port.ts';
import { consoleLogLines, FRONTEND_ROOT, requireBuild } from './helpers/console-stack.ts';

/** Runs `next start` with this environment until it exits (or 30 s pass). */
async function start(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  requireBuild();
  const next = createRequire(import.meta.url).resolve('next/dist/bin/next');
  const child = spawn(process.execPath, [next, 'start', '--port', String(await freePort()), '--hostname', '127.0.0.1'], {
    cwd: FRONTEND_ROOT,
    env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, output };
}

describe('the console server at start', () => {
  it('stops with a message naming each wrong variable, and no value', async () => {
    const env = consoleEnv({ SESSION_SECRET: 'too-short-secret-value', JITSI_PUBLIC_URL: 'meet.example.com' });
    delete env['OIDC_CLIENT_SECRET'];
    const { code, output } = await start(env);
    expect(code).toBe(1);
    // One JSON line like every other the console writes, though no runtime (and no logger of it) exists yet.
    const line = consoleLogLines(output).find((candidate) => candidate.level === 'fatal');
    expect(line?.msg).toContain('invalid configuration: OIDC_CLIENT_SECRET is not set');
    expect(line?.msg).toContain('SESSION_SECRET must be at least 32 characters');
    expect(line?.msg).toContain('JITSI_PUBLIC_URL');
    expect(output).not.toContain('too-short-secret-value');
    expect(output).not.toContain(SESSION_SECRET);
  });
});
