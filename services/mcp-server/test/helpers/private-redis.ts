import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../../../test/helpers/free-port.ts';

/**
 * A throw-away Redis server of our own, started from the machine's `redis-server`, so a test can
 * stop and restart it without disturbing the shared one other suites use. It keeps an append-only
 * file like the stack's Redis (`--appendonly yes`), so a restart keeps what was written.
 */
export interface PrivateRedis {
  readonly url: string;
  /** Stops the server (SIGTERM, which makes Redis flush its append-only file) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory, and waits until it answers PING. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

async function answersPing(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const directory = mkdtempSync(join(tmpdir(), 'mcp-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const start = async () => {
    if (child !== undefined) return;
    const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', directory, '--appendonly', 'yes', '--save', ''], {
      stdio: 'ignore',
    });
    child = started;
    started.once('exit', () => {
      if (child === started) child = undefined;
    });
    for (let attempt = 0; attempt < 100; attempt += 1) {
      if (await answersPing(url)) return;
      if (started.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`private redis-server on port ${port} did not answer PING within 5 s`);
  };
  const stop = async () => {
    const running = child;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
    child = undefined;
  };
  await start();
  return {
    url,
    start,
    stop,
    destroy: async () => {
      await stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
