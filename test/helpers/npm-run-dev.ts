import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { POSTGRES_ADMIN_URL, REDIS_URL } from '../../services/mcp-server/test/helpers/mcp.ts';
import { browserSignIn, CookieJar } from '../../services/frontend/test/helpers/http-sign-in.ts';

/**
 * `npm run dev` for real, as the tests that run it need it (test/dev/dev.test.ts, the live
 * Prometheus test in test/observability/): started as the npm script starts it, its output
 * collected, a database of the test's own, its ready lines read, the test user signed in over
 * HTTP, and what it started found in the process table.
 */

/** How long a run that starts the console waits for another test's to end (see startDev). */
export const DEV_LOCK_TIMEOUT_MS = 600_000;

/** A Redis database of the tests' own for npm run dev (`database`): away from the tests' keys on 0 and from a developer's npm run dev on 1. */
export function devRedisUrl(database: number): string {
  const url = new URL(REDIS_URL);
  url.pathname = `/${database}`;
  return url.href;
}

export interface DevRun {
  readonly dev: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

/** Each run of npm run dev of this test file, stopped by stopDevRuns if a failed test left it running. */
const runs: ChildProcess[] = [];
/** Each dev database of this test file, which npm run dev creates and dropDevDatabases drops. */
const databases: string[] = [];

/**
 * npm run dev as the npm script runs it, its output collected. A run that starts the console
 * (every run but `--only` of another process) first waits, up to DEV_LOCK_TIMEOUT_MS, until no
 * other test file's run that starts it is left: `next dev` allows one server per directory
 * (services/frontend/.next/dev holds its lock), and vitest runs test files side by side.
 */
export async function startDev(args: string[], env: Record<string, string>): Promise<DevRun> {
  const startsConsole = !args.includes('--only') || args.includes('frontend');
  const release = startsConsole ? await consoleLock() : () => undefined;
  let stdout = '';
  let stderr = '';
  const dev = spawn(process.execPath, ['--import', 'tsx', 'dev/index.ts', ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  runs.push(dev);
  dev.once('exit', release);
  dev.once('error', release);
  dev.stdout!.on('data', (chunk) => (stdout += chunk));
  dev.stderr!.on('data', (chunk) => (stderr += chunk));
  return { dev, stdout: () => stdout, stderr: () => stderr };
}

/** SIGINT to every run still going, and waits for each to exit (for afterAll). */
export async function stopDevRuns(): Promise<void> {
  for (const dev of runs.filter((child) => child.exitCode === null && child.signalCode === null)) {
    const exited = new Promise((resolve) => dev.once('exit', resolve));
    dev.kill('SIGINT');
    await exited;
  }
}

/** A database name of the test's own, as DEV_POSTGRES_URL. */
export function devDatabaseUrl(): string {
  const name = `voice_agent_dev_test_${randomBytes(4).toString('hex')}`;
  databases.push(name);
  return POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
}

/** Drops every database devDatabaseUrl named (for afterAll, once the runs have stopped). */
export async function dropDevDatabases(): Promise<void> {
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

/** Two ports in a row that nothing listens on, for the TEN sessions' range. */
export async function freeRange(): Promise<string> {
  for (;;) {
    const first = 20_000 + Math.floor(Math.random() * 40_000);
    const free = await Promise.all([first, first + 1].map((port) => new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    })));
    if (free.every(Boolean)) return `${first}-${first + 1}`;
  }
}

/** Every living process below `pid` (zombies are dead, only not reaped: this container's init reaps nothing). */
export function descendantsOf(pid: number): Array<{ pid: number; command: string }> {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ pid: Number(match[1]), parent: Number(match[2]), zombie: match[3]!.startsWith('Z'), command: match[4]! }));
  const found: Array<{ pid: number; command: string }> = [];
  const parents = [pid];
  while (parents.length > 0) {
    const parent = parents.pop()!;
    for (const child of table.filter((entry) => entry.parent === parent && !entry.zombie)) {
      found.push({ pid: child.pid, command: child.command });
      parents.push(child.pid);
    }
  }
  return found;
}

export function stillRuns(pid: number): boolean {
  const stat = (() => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return undefined;
    }
  })();
  return stat !== undefined && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

/** The environment a process was started with, from /proc. */
export function environmentOfProcess(pid: number): Map<string, string> {
  return new Map(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter((pair) => pair !== '')
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

/** Waits until `output()` has a line matching `pattern`, or the process ends. */
export async function waitForLine(child: ChildProcess, output: () => string, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(output())) {
    if (child.exitCode !== null) throw new Error(`npm run dev exited with ${child.exitCode} before ${pattern}:\n${output().slice(-6000)}`);
    if (Date.now() > deadline) throw new Error(`npm run dev printed no ${pattern} within ${timeoutMs / 1000} s:\n${output().slice(-6000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** npm run dev's `ready <process> <url> <about>` lines, by process. */
export function readyLines(stdout: string): Map<string, { url: string; about: string }> {
  return new Map([...stdout.matchAll(/^ready +(\S+) +(\S+) +(.*)$/gm)].map((match) => [match[1]!, { url: match[2]!, about: match[3]! }]));
}

/** The test user and password the identity provider's ready line names. */
export function testUserOf(about: string): { user: string; password: string } {
  const credentials = /test user "([^"]+)", password "([^"]+)"/.exec(about);
  if (credentials === null) throw new Error(`the identity provider's ready line names no test user: ${about}`);
  return { user: credentials[1]!, password: credentials[2]! };
}

/**
 * Signs in as a browser does: the console's login, the provider's form, the console's callback.
 * Returns the session cookie (`console-session=…`); throws, saying which step, when one goes wrong.
 */
export async function signInThroughConsole(consoleUrl: string, issuer: string, user: string, password: string): Promise<string> {
  const login = await fetch(`${consoleUrl}/api/auth/login`, { redirect: 'manual' });
  if (login.status !== 303) throw new Error(`the console's /api/auth/login answered ${login.status}, not 303`);
  const loginCookie = (login.headers.getSetCookie().find((cookie) => cookie.startsWith('console-login=')) ?? '').split(';')[0]!;
  const { callback } = await browserSignIn(new URL(login.headers.get('location')!), issuer, user, new CookieJar(), password);
  if (`${callback.origin}${callback.pathname}` !== `${consoleUrl}/api/auth/callback`) throw new Error(`the provider sent the browser to ${callback.href}, not the console's callback`);
  const signedIn = await fetch(`${consoleUrl}/api/auth/callback${callback.search}`, { headers: { cookie: loginCookie }, redirect: 'manual' });
  if (signedIn.headers.get('location') !== `${consoleUrl}/`) throw new Error(`the console's callback answered ${signedIn.status} to ${signedIn.headers.get('location')}, not to ${consoleUrl}/`);
  const session = (signedIn.headers.getSetCookie().find((cookie) => cookie.startsWith('console-session=')) ?? '').split(';')[0]!;
  if (!/^console-session=.+/.test(session)) throw new Error('the console set no session cookie');
  return session;
}

/**
 * The checkout's one `next dev`, across test files (vitest's workers are processes): a file
 * holding the pid of the test process that has it, taken over once that process is gone.
 * Resolves with its release.
 */
async function consoleLock(): Promise<() => void> {
  const path = join(tmpdir(), `voice-agent-npm-run-dev-${createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 12)}.lock`);
  const owner = String(process.pid);
  const deadline = Date.now() + DEV_LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      writeFileSync(path, owner, { flag: 'wx' });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if (readFileSync(path, 'utf8') === owner) rmSync(path, { force: true });
        } catch {
          // Already gone: taken over as stale, or removed by hand.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder: number;
    try {
      holder = Number(readFileSync(path, 'utf8').trim() || '0');
    } catch {
      continue; // released between the two calls
    }
    if (!(holder > 0 && stillRuns(holder))) {
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another test's npm run dev (test process ${holder}) still runs the console after ${DEV_LOCK_TIMEOUT_MS / 1000} s (${path})`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
