/**
 * test/prerequisites.ts, run as `npm test` runs it (a child process, before anything else): with a
 * PATH and CHROMIUM_PATH that hide some tools and service URLs at closed ports it exits 1 with one
 * message naming exactly those, and the apt-get line for them; on this machine, where the suites
 * run, it finds everything and exits 0.
 */
import { execFile } from 'node:child_process';
import { readFileSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../constructs/repo-root.ts';
import { freePort } from './helpers/free-port.ts';
import { temporaryDirectory } from './helpers/synth.ts';
import { onPath, pythonVersionProblem, REDIS_START } from './prerequisites.ts';

const SCRIPT = 'test/prerequisites.ts';
/** Stands for a password in the service URLs: it must never reach the message. */
const PASSWORD = 'Hq7vZ2mK9pLx4Rt';

/**
 * Runs the script as npm test does, without blocking this process: the impostor server below
 * answers from it.
 */
function runPrerequisites(env: NodeJS.ProcessEnv, args: readonly string[] = []): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ status, stdout, stderr });
    });
  });
}

/** A PATH directory with links to this machine's own tools of those names, and nothing else. */
function pathWith(tools: readonly string[]): string {
  const directory = temporaryDirectory('prerequisites-path-');
  for (const tool of tools) {
    const real = onPath(tool, process.env);
    if (real === undefined) throw new Error(`${tool} is not on this machine's PATH, so the test cannot offer it`);
    symlinkSync(real, join(directory, tool));
  }
  return directory;
}

/** The names of the missing items the message lists ("  - <name>: …"). */
function listed(message: string): string[] {
  return [...message.matchAll(/^ {2}- ([^:]+(?::\d+)?): /gm)].map((match) => match[1]!);
}

describe('test/prerequisites.ts', () => {
  let closedPostgres: number;
  let closedRedis: number;
  /** A TCP server that answers anything with bytes that are neither PostgreSQL's nor Redis's. */
  let impostor: Server;
  let impostorPort: number;

  beforeAll(async () => {
    closedPostgres = await freePort();
    closedRedis = await freePort();
    impostor = createServer((socket) => socket.on('data', () => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    impostorPort = (impostor.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => impostor.close(() => resolve())));

  it('names exactly what is hidden, with one apt-get line, in one message, and runs nothing else (exit 1)', async () => {
    const home = temporaryDirectory('prerequisites-home-');
    const result = await runPrerequisites({
      HOME: home,
      PATH: pathWith(['sox', 'git', 'redis-server', 'redis-cli']),
      CHROMIUM_PATH: join(home, 'no-chromium'),
      TEST_POSTGRES_URL: `postgresql://postgres:${PASSWORD}@127.0.0.1:${closedPostgres}/postgres`,
      TEST_REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${closedRedis}`,
    });
    expect(result.status, result.stderr).toBe(1);
    expect(result.stdout).toBe('');
    const message = result.stderr;
    expect(listed(message)).toEqual(['Chromium', 'espeak-ng', 'python3 3.10+', 'promtool', `PostgreSQL at 127.0.0.1:${closedPostgres}`, `Redis at 127.0.0.1:${closedRedis}`]);
    expect(message).toContain(`nothing executable at ${join(home, 'no-chromium')} (CHROMIUM_PATH)`);
    expect(message).toMatch(/ {2}- promtool: not found on PATH; the observability tests [^\n]*\. Debian: prometheus$/m);
    expect(message).toMatch(/PostgreSQL at [^\n]*: connection refused \(TEST_POSTGRES_URL\)/);
    expect(message).toMatch(/Redis at [^\n]*: connection refused \(TEST_REDIS_URL\)/);
    expect(message.match(/^ {2}apt-get install -y .*$/gm)).toEqual(['  apt-get install -y chromium fonts-dejavu-core espeak-ng python3 prometheus']);
    expect(message.match(/npm test cannot start/g)).toHaveLength(1);
    expect(message.trimEnd().split('\n').at(-1)).toMatch(/^Nothing was run\./);
    expect(message).not.toContain(PASSWORD);
  });

  it('tells a port that answers something else from PostgreSQL and Redis', async () => {
    const result = await runPrerequisites({
      ...process.env,
      TEST_POSTGRES_URL: `postgresql://postgres@127.0.0.1:${impostorPort}/postgres`,
      TEST_REDIS_URL: `redis://127.0.0.1:${impostorPort}`,
    });
    expect(result.status, result.stderr).toBe(1);
    expect(listed(result.stderr)).toEqual([`PostgreSQL at 127.0.0.1:${impostorPort}`, `Redis at 127.0.0.1:${impostorPort}`]);
    expect(result.stderr).toContain('something answers, but not PostgreSQL');
    expect(result.stderr).toContain('something answers, but not Redis');
    // Nothing to install for a server that is installed but elsewhere: no apt-get line.
    expect(result.stderr).not.toContain('apt-get');
  });

  it('names a service URL that does not parse without showing it (it may hold a password)', async () => {
    const result = await runPrerequisites({ ...process.env, TEST_REDIS_URL: `not a url ${PASSWORD}` });
    expect(result.status, result.stderr).toBe(1);
    expect(listed(result.stderr)).toEqual(['TEST_REDIS_URL']);
    expect(result.stderr).toContain('TEST_REDIS_URL: is set but is not a URL');
    expect(result.stderr).not.toContain(PASSWORD);
  });

  it('finds everything on this machine, where the suites run, and exits 0 quietly', async () => {
    const result = await runPrerequisites(process.env);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('--apt-packages: only the Debian packages of the missing tools, on one line, exit 0 (what .ci/run installs)', async () => {
    const home = temporaryDirectory('prerequisites-home-');
    const hidden = await runPrerequisites({ HOME: home, PATH: pathWith(['sox', 'git', 'redis-server']), CHROMIUM_PATH: join(home, 'no-chromium') }, ['--apt-packages']);
    expect(hidden.status, hidden.stderr).toBe(0);
    expect(hidden.stdout).toBe('chromium fonts-dejavu-core espeak-ng python3 redis-tools prometheus\n');
    const present = await runPrerequisites(process.env, ['--apt-packages']);
    expect(present.status, present.stderr).toBe(0);
    expect(present.stdout).toBe('\n');
  });

  it('python3 must be 3.10 or newer', () => {
    expect(pythonVersionProblem('3.9\n')).toBe('python3 is 3.9, older than 3.10');
    expect(pythonVersionProblem('2.7')).toBe('python3 is 2.7, older than 3.10');
    expect(pythonVersionProblem('3.10\n')).toBeUndefined();
    expect(pythonVersionProblem('3.13')).toBeUndefined();
    expect(pythonVersionProblem('4.0')).toBeUndefined();
    expect(pythonVersionProblem('')).toBe('python3 reports no version ("")');
  });
});

describe('.ci/run and test/prerequisites.ts', () => {
  const ci = readFileSync(join(REPO_ROOT, '.ci/run'), 'utf8');

  it('.ci/run installs the missing Debian packages from the same list', () => {
    expect(ci).toMatch(/node --import tsx test\/prerequisites\.ts --apt-packages/);
  });

  it('start a stopped PostgreSQL and Redis with the same commands', () => {
    expect(ci).toContain(REDIS_START);
    expect(ci).toContain('pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start');
  });
});
