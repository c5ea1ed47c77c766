import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../../test/helpers/free-port.ts';

/**
 * A throw-away PostgreSQL server of our own, started from the machine's PostgreSQL binaries, so
 * a test can stop and restart it without disturbing the shared one other suites use.
 */
export interface PrivatePostgres {
  readonly url: string;
  stop(): void;
  start(): void;
  /** `stop()` without blocking this process's event loop, so a server in it keeps serving meanwhile. */
  stopAsync(): Promise<void>;
  /** `start()` without blocking this process's event loop. */
  startAsync(): Promise<void>;
  destroy(): void;
}

function binaries(): string {
  const base = '/usr/lib/postgresql';
  const version = existsSync(base) ? readdirSync(base).sort().pop() : undefined;
  if (version === undefined) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql');
  return join(base, version, 'bin');
}

/** initdb and postgres refuse to run as root; run them as the postgres user then. */
function asPostgresUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

function run(command: string, args: string[]): void {
  const [file, argv] = asPostgresUser(command, args);
  execFileSync(file, argv, { stdio: 'pipe' });
}

async function runAsync(command: string, args: string[]): Promise<void> {
  const [file, argv] = asPostgresUser(command, args);
  await promisify(execFile)(file, argv);
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binaries();
  const directory = mkdtempSync(join(tmpdir(), 'mcp-pg-'));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(directory, uid, gid);
  }
  const data = join(directory, 'data');
  const port = await freePort();
  run(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  const options = `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const startArgs = ['-D', data, '-o', options, '-l', join(directory, 'log'), '-w', 'start'];
  const stopArgs = ['-D', data, '-m', 'fast', '-w', 'stop'];
  const start = () => run(join(bin, 'pg_ctl'), startArgs);
  const stop = () => run(join(bin, 'pg_ctl'), stopArgs);
  start();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    startAsync: () => runAsync(join(bin, 'pg_ctl'), startArgs),
    stopAsync: () => runAsync(join(bin, 'pg_ctl'), stopArgs),
    destroy: () => {
      try {
        stop();
      } catch {
        // already stopped
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
