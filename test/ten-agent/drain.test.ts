/**
 * services/ten-agent/drain/ten_drain.py, run for real: python3 against the fake TEN agent server
 * (test/fakes/ten-agent/) and a real Redis. `drain` marks the replica in Redis and waits on TEN's
 * /list; `run` supervises a child that serves the fake's API on SERVER_PORT, drains on SIGTERM
 * before passing it on, and deletes a leftover mark once the child is healthy.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { startFakeTenAgent, type FakeTenAgent } from '../fakes/ten-agent/index.ts';
import { freePort } from '../helpers/free-port.ts';

const SCRIPT = join(REPO_ROOT, 'services/ten-agent/drain/ten_drain.py');
const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const GRAPH = 'idle';
const LOG_KEYS = ['level', 'msg', 'replica', 'service', 'sessions', 'time'];
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface DrainLog {
  time: string;
  level: 'info' | 'warn' | 'error';
  service: string;
  replica: string;
  msg: string;
  sessions: number | null;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A python3 ten_drain.py process: its stdout lines (the script's JSON and, in `run`, the child's own), stderr, exit. */
class DrainProcess {
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<Exit>;
  readonly startedAt = Date.now();
  exit: Exit | undefined;
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();

  constructor(args: string[], env: Record<string, string>) {
    // Only what is given: no REDIS_URL or REPLICA_NAME leaks in from the test's environment.
    this.child = spawn('python3', [SCRIPT, ...args], { cwd: REPO_ROOT, env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let pending = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const complete = pending.split('\n');
      pending = complete.pop()!;
      this.lines.push(...complete);
      this.notify();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    // 'close', not 'exit': by then every line of stdout has arrived.
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code, signal) => {
        this.exit = { code, signal };
        this.notify();
        resolve(this.exit);
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The script's own lines, parsed (the child's lines in `run` are not JSON). */
  get logs(): DrainLog[] {
    return this.lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as DrainLog);
  }

  get output(): string {
    return `${this.lines.join('\n')}\n${this.stderr}`;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Resolves when `ready()` holds, checked on every line and at exit; fails after `ms` with the output so far. */
  async until<T>(what: string, ready: () => T | undefined | false, ms = 10_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = ready();
      if (value !== undefined && value !== false) return value;
      const left = deadline - Date.now();
      if (left <= 0 || (this.exit !== undefined && ready() === undefined)) {
        throw new Error(`${what}: not within ${ms} ms${this.exit ? ` (exited ${JSON.stringify(this.exit)})` : ''}; output:\n${this.output}`);
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 200));
        this.waiters.add(wake);
      });
    }
  }

  log(what: string, match: (log: DrainLog) => boolean, ms?: number): Promise<DrainLog> {
    return this.until(`a log line: ${what}`, () => this.logs.find(match), ms);
  }

  line(text: string, ms?: number): Promise<string> {
    return this.until(`a line containing ${JSON.stringify(text)}`, () => this.lines.find((line) => line.includes(text)), ms);
  }

  exitWithin(ms: number): Promise<Exit> {
    return this.until('the process to exit', () => this.exit, ms);
  }

  kill(): void {
    this.child.stdin!.end();
    if (this.exit === undefined) this.child.kill('SIGKILL');
  }

  private notify(): void {
    for (const wake of [...this.waiters]) wake();
  }
}

const running: DrainProcess[] = [];
function startDrain(args: string[], env: Record<string, string>): DrainProcess {
  const process = new DrainProcess(args, env);
  running.push(process);
  return process;
}

/**
 * redis-cli against a redis:// URL (the machine has the binary; no client library needed). The
 * URL is taken apart here because redis-cli 7.0's -u does not decode a percent-encoded password.
 */
async function redis(url: string, ...args: string[]): Promise<string> {
  const parsed = new URL(url);
  const options = ['-h', parsed.hostname, '-p', parsed.port || '6379', '-n', parsed.pathname.slice(1) || '0', '--no-auth-warning'];
  if (parsed.username !== '') options.push('--user', decodeURIComponent(parsed.username));
  if (parsed.password !== '') options.push('-a', decodeURIComponent(parsed.password));
  const { stdout, stderr } = await run('redis-cli', [...options, ...args], { timeout: 5_000 });
  const reply = stdout.replace(/\n$/, '');
  // Without a terminal, redis-cli prints an error reply as plain text and exits 0.
  if (stderr !== '' || /^(?:ERR|NOAUTH|WRONGPASS|WRONGTYPE|AUTH failed)\b/.test(reply)) throw new Error(`redis-cli ${args.join(' ')}: ${reply}${stderr}`);
  return reply;
}

let keyCounter = 0;
/** A key prefix no other test (or run) shares, and the mark key the script writes under it. */
function uniqueMark(replica: string): { prefix: string; key: string } {
  keyCounter += 1;
  const prefix = `drain-test-${process.pid}-${Date.now()}-${keyCounter}:`;
  return { prefix, key: `${prefix}ten:${replica}:draining` };
}

async function markOf(url: string, key: string): Promise<{ value: { since: string; sessions: number | null } | undefined; ttl: number }> {
  const text = await redis(url, 'GET', key);
  const ttl = Number(await redis(url, 'TTL', key));
  return { value: text === '' ? undefined : (JSON.parse(text) as { since: string; sessions: number | null }), ttl };
}

/**
 * The mark once it says `sessions` (or what it says after `timeoutMs`): the drain writes it just
 * after the progress line that reports the count, in the same pass of its loop.
 */
async function markWithSessions(url: string, key: string, sessions: number, timeoutMs = 2_000): Promise<{ since: string; sessions: number | null } | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { value } = await markOf(url, key);
    if (value?.sessions === sessions || Date.now() > deadline) return value;
    await sleep(50);
  }
}

async function post(base: string, path: string, body: unknown): Promise<{ code: string }> {
  const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await response.json()) as { code: string };
}

const startSession = async (base: string, channel: string) => expect((await post(base, '/start', { channel_name: channel, graph_name: GRAPH })).code).toBe('0');
async function stopSession(base: string, channel: string, ten?: FakeTenAgent): Promise<void> {
  const { code } = await post(base, '/stop', { channel_name: channel });
  // What the fake saw, should /stop fail (10102: the worker's process group did not go as TEN expects).
  const seen = ten === undefined ? '' : `; fake: ${JSON.stringify({ logs: ten.logs, sessions: ten.sessions.map((worker) => ({ channel: worker.channelName, signals: worker.signalsSent, exit: worker.exit })) })}`;
  expect(code, `/stop ${channel}${seen}`).toBe('0');
}

function expectWellFormedLogs(drain: DrainProcess, replica: string): void {
  expect(drain.logs.length).toBeGreaterThan(0);
  for (const log of drain.logs) {
    expect(Object.keys(log).sort()).toEqual(LOG_KEYS);
    expect(log).toMatchObject({ service: 'ten-agent-drain', replica });
    expect(['info', 'warn', 'error']).toContain(log.level);
    expect(Number.isNaN(Date.parse(log.time))).toBe(false);
  }
}

afterEach(() => {
  for (const process of running.splice(0)) process.kill();
});

describe('ten_drain.py drain', () => {
  let ten: FakeTenAgent;
  let port: string;
  beforeAll(async () => {
    ten = await startFakeTenAgent({ graphs: [GRAPH] });
    port = new URL(ten.url).port;
  });
  afterEach(() => ten.reset());
  afterAll(() => ten.close());

  it('marks the replica while sessions run and waits, refreshing the mark; exits 0 once they are stopped, the mark left to expire', async () => {
    await startSession(ten.url, 'room-a');
    await startSession(ten.url, 'room-b');
    const { prefix, key } = uniqueMark('ten-agent-1');
    const drain = startDrain(['drain'], { REPLICA_NAME: 'ten-agent-1', REDIS_URL, VOICE_TIER_KEY_PREFIX: prefix, SERVER_PORT: port });

    const waiting = await drain.log('2 sessions left', (log) => log.sessions === 2 && /2 sessions left/.test(log.msg));
    expect(waiting.msg).toContain('room-a');
    expect(waiting.msg).toContain('room-b');
    const first = await markOf(REDIS_URL, key);
    expect(first.value).toMatchObject({ sessions: 2 });
    expect(Number.isNaN(Date.parse(first.value!.since))).toBe(false);
    expect(first.ttl).toBeGreaterThan(0);
    expect(first.ttl).toBeLessThanOrEqual(30);

    // Past the first 5 s refresh: without it the TTL would be 30 - 7 = 23 by now.
    await sleep(7_000 - (Date.now() - drain.startedAt));
    expect(drain.exit, 'still waiting on the sessions').toBeUndefined();
    const refreshed = await markOf(REDIS_URL, key);
    expect(refreshed.ttl).toBeGreaterThanOrEqual(25);
    expect(refreshed.value?.since, 'since stays the start of the drain').toBe(first.value!.since);

    await stopSession(ten.url, 'room-a', ten);
    const progress = await drain.log('1 session left', (log) => log.sessions === 1);
    expect(progress.msg).toMatch(/1 session left: room-b$/);
    expect(drain.exit).toBeUndefined();

    await stopSession(ten.url, 'room-b', ten);
    expect(await drain.exitWithin(6_000)).toEqual({ code: 0, signal: null });
    const last = await markOf(REDIS_URL, key);
    expect(last.value).toEqual({ since: first.value!.since, sessions: 0 });
    expect(last.ttl).toBeGreaterThan(0);
    expect(last.ttl).toBeLessThanOrEqual(30);
    expect(drain.logs.at(-1)).toMatchObject({ level: 'info', sessions: 0 });
    expect(drain.logs.at(-1)!.msg).toMatch(/drained/);
    expectWellFormedLogs(drain, 'ten-agent-1');
    expect(drain.stderr).toBe('');
    await redis(REDIS_URL, 'DEL', key);
  });

  it('exits 1 when the limit passes first, naming the sessions still running', async () => {
    await startSession(ten.url, 'stuck-room');
    const { prefix, key } = uniqueMark('ten-agent-0');
    const drain = startDrain(['drain'], { REPLICA_NAME: 'ten-agent-0', REDIS_URL, VOICE_TIER_KEY_PREFIX: prefix, SERVER_PORT: port, DRAIN_TIMEOUT_SECONDS: '2.5' });
    expect(await drain.exitWithin(10_000)).toEqual({ code: 1, signal: null });
    expect(Date.now() - drain.startedAt).toBeGreaterThanOrEqual(2_500);
    const last = drain.logs.at(-1)!;
    expect(last.level).toBe('error');
    expect(last.msg).toContain('stuck-room');
    expect(last.msg).toContain('2.5 s');
    expect(last.sessions).toBe(1);
    // The mark stays until it expires: the replica is still going away.
    expect((await markOf(REDIS_URL, key)).value).toMatchObject({ sessions: 1 });
    expect(ten.workers.has('stuck-room'), 'the drain never stops a session itself').toBe(true);
    await redis(REDIS_URL, 'DEL', key);
  });

  it('counts an agent server that does not answer /list as drained, and still sets the mark', async () => {
    const { prefix, key } = uniqueMark('ten-agent-2');
    const nothing = await freePort();
    const drain = startDrain(['drain'], { REPLICA_NAME: 'ten-agent-2', REDIS_URL, VOICE_TIER_KEY_PREFIX: prefix, SERVER_PORT: String(nothing) });
    expect(await drain.exitWithin(5_000)).toEqual({ code: 0, signal: null });
    expect(drain.logs.some((log) => log.msg.includes(`does not answer on 127.0.0.1:${nothing}`))).toBe(true);
    const mark = await markOf(REDIS_URL, key);
    expect(mark.value).toMatchObject({ sessions: 0 });
    expect(mark.ttl).toBeLessThanOrEqual(30);
    await redis(REDIS_URL, 'DEL', key);
  });

  it('keeps waiting on /list when Redis is unreachable, warns with host:port only, and exits 0 when the session ends', async () => {
    await startSession(ten.url, 'room-c');
    const redisPort = await freePort();
    const drain = startDrain(['drain'], { REPLICA_NAME: 'ten-agent-3', REDIS_URL: `redis://user:hunter2secret@127.0.0.1:${redisPort}/1`, SERVER_PORT: port });
    const warning = await drain.log('a Redis warning', (log) => log.level === 'warn' && log.msg.includes('Redis'));
    expect(warning.msg).toContain(`127.0.0.1:${redisPort}`);
    await drain.log('1 session left', (log) => log.sessions === 1 && log.msg.includes('room-c'));
    // Past a refresh (5 s), which retries the mark without a second warning.
    await sleep(6_000 - (Date.now() - drain.startedAt));
    expect(drain.exit).toBeUndefined();
    expect(drain.logs.filter((log) => log.msg.includes('Redis'))).toHaveLength(1);
    await stopSession(ten.url, 'room-c', ten);
    expect(await drain.exitWithin(6_000)).toEqual({ code: 0, signal: null });
    expect(drain.output).not.toContain('hunter2');
    expect(drain.output).not.toContain('user:');
  });

  it('without REDIS_URL warns once and only waits', async () => {
    await startSession(ten.url, 'room-d');
    const drain = startDrain(['drain'], { REPLICA_NAME: 'ten-agent-4', SERVER_PORT: port });
    await drain.log('1 session left', (log) => log.sessions === 1);
    await stopSession(ten.url, 'room-d', ten);
    expect(await drain.exitWithin(6_000)).toEqual({ code: 0, signal: null });
    expect(drain.logs.filter((log) => log.level === 'warn').map((log) => log.msg)).toEqual([expect.stringMatching(/^REDIS_URL is not set/)]);
  });

  it('refuses a limit that is not a number, before it waits on anything', async () => {
    const drain = startDrain(['drain'], { REPLICA_NAME: 'ten-agent-5', SERVER_PORT: port, DRAIN_TIMEOUT_SECONDS: 'soon' });
    expect(await drain.exitWithin(5_000)).toEqual({ code: 2, signal: null });
    expect(drain.logs).toEqual([expect.objectContaining({ level: 'error', msg: expect.stringContaining('DRAIN_TIMEOUT_SECONDS') })]);
  });
});

describe('ten_drain.py drain with a password-protected Redis', () => {
  const PASSWORD = 's3cr3t/p@ss';
  const ENCODED = encodeURIComponent(PASSWORD);
  let server: ChildProcess;
  let redisPort: number;
  let admin: string;
  let ten: FakeTenAgent;

  beforeAll(async () => {
    redisPort = await freePort();
    admin = `redis://:${ENCODED}@127.0.0.1:${redisPort}`;
    server = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--requirepass', PASSWORD, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const answer = await redis(admin, 'PING').catch((error: unknown) => String(error));
      if (answer === 'PONG') break;
      if (Date.now() > deadline) throw new Error(`redis-server on ${redisPort} did not answer PING: ${answer}`);
      await sleep(100);
    }
    ten = await startFakeTenAgent({ graphs: [GRAPH] });
  });
  afterAll(async () => {
    await ten?.close();
    server?.kill('SIGTERM');
  });

  it('AUTHs with user and password, SELECTs the database, and never prints the password', async () => {
    await startSession(ten.url, 'room-e');
    const { prefix, key } = uniqueMark('ten-agent-1');
    const drain = startDrain(['drain'], { REPLICA_NAME: 'ten-agent-1', REDIS_URL: `redis://default:${ENCODED}@127.0.0.1:${redisPort}/2`, VOICE_TIER_KEY_PREFIX: prefix, SERVER_PORT: new URL(ten.url).port });
    await drain.log('1 session left', (log) => log.sessions === 1);
    expect((await markOf(`${admin}/2`, key)).value).toMatchObject({ sessions: 1 });
    expect(await redis(`${admin}/0`, 'EXISTS', key), 'written to database 2, not 0').toBe('0');
    await stopSession(ten.url, 'room-e', ten);
    expect(await drain.exitWithin(6_000)).toEqual({ code: 0, signal: null });
    expect((await markOf(`${admin}/2`, key)).value).toMatchObject({ sessions: 0 });
    expect(drain.logs.filter((log) => log.level !== 'info')).toEqual([]);
    expect(drain.output).not.toContain('s3cr3t');
  });

  it('AUTHs with a password alone', async () => {
    const { prefix, key } = uniqueMark('ten-agent-2');
    const drain = startDrain(['drain'], { REPLICA_NAME: 'ten-agent-2', REDIS_URL: `${admin}/3`, VOICE_TIER_KEY_PREFIX: prefix, SERVER_PORT: String(await freePort()) });
    expect(await drain.exitWithin(5_000)).toEqual({ code: 0, signal: null });
    expect((await markOf(`${admin}/3`, key)).value).toMatchObject({ sessions: 0 });
    expect(drain.output).not.toContain('s3cr3t');
  });

  it('with a wrong password warns naming host:port and Redis\'s refusal, never the password, and still drains', async () => {
    const drain = startDrain(['drain'], { REPLICA_NAME: 'ten-agent-3', REDIS_URL: `redis://default:wrong-${ENCODED}@127.0.0.1:${redisPort}`, SERVER_PORT: String(await freePort()) });
    expect(await drain.exitWithin(5_000)).toEqual({ code: 0, signal: null });
    const warning = drain.logs.find((log) => log.level === 'warn');
    expect(warning?.msg).toContain(`127.0.0.1:${redisPort}`);
    expect(warning?.msg).toMatch(/WRONGPASS/);
    expect(drain.output).not.toContain('s3cr3t');
    expect(drain.output).not.toContain('wrong-');
  });
});

describe('ten_drain.py run', () => {
  let dir: string;
  let entry: string;

  /**
   * The child `run` supervises, standing in for /app/server/bin/api: the fake TEN agent server,
   * served on SERVER_PORT through a small proxy (the fake picks its own port). It says what
   * happens on stdout, "child: …", and exits 7 on SIGTERM and 5 on SIGINT, so the test can tell
   * which signal reached it and that its code came through.
   */
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ten-drain-'));
    entry = join(dir, 'child.mjs');
    writeFileSync(
      entry,
      `
import { createServer, request } from 'node:http';
const { startFakeTenAgent } = await import(${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'test/fakes/ten-agent/index.ts')).href)});
const say = (line) => process.stdout.write('child: ' + line + '\\n');
const ten = await startFakeTenAgent({ graphs: [${JSON.stringify(GRAPH)}] });
const upstream = new URL(ten.url);
const proxy = createServer((req, res) => {
  const forward = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode, answer.headers);
    answer.pipe(res);
  });
  forward.on('error', () => res.destroy());
  req.pipe(forward);
});
const end = async (code) => { proxy.close(); await ten.close(); process.exit(code); };
for (const [signal, code] of [['SIGTERM', 7], ['SIGINT', 5]]) {
  process.on(signal, () => { say(signal + ' with ' + ten.workers.size + ' sessions'); void end(code); });
}
// The test's pipe: when the test goes, so does this process (and the fake's workers).
process.stdin.on('end', () => void end(1)).resume();
setTimeout(() => proxy.listen(Number(process.env.SERVER_PORT), '127.0.0.1', () => say('listening')), Number(process.env.CHILD_LISTEN_DELAY_MS ?? 0));
if (process.env.CHILD_EXIT_AFTER_MS) setTimeout(() => { say('exiting by itself'); void end(3); }, Number(process.env.CHILD_EXIT_AFTER_MS));
`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const startRun = async (env: Record<string, string>) => {
    const port = await freePort();
    const drain = startDrain(['run', '--', process.execPath, '--import', 'tsx', entry], { SERVER_PORT: String(port), ...env });
    return { drain, base: `http://127.0.0.1:${port}` };
  };

  it('deletes a leftover mark once the child is healthy; on SIGTERM drains until the session is stopped, then SIGTERMs the child and exits with its code', async () => {
    const { prefix, key } = uniqueMark('ten-agent-1');
    await redis(REDIS_URL, 'SET', key, JSON.stringify({ since: '2000-01-01T00:00:00.000Z', sessions: 1 }), 'EX', '30');
    const { drain, base } = await startRun({ REPLICA_NAME: 'ten-agent-1', REDIS_URL, VOICE_TIER_KEY_PREFIX: prefix, CHILD_LISTEN_DELAY_MS: '2500' });

    await drain.log('the child started', (log) => log.msg.startsWith('started '));
    await sleep(1_000);
    expect(drain.lines.some((line) => line.includes('child: listening'))).toBe(false);
    expect((await markOf(REDIS_URL, key)).value, 'not deleted before the child answers /health').toBeDefined();
    await drain.log('the leftover mark deleted', (log) => log.msg.includes('leftover mark'), 15_000);
    const listening = drain.lines.findIndex((line) => line.includes('child: listening'));
    expect(listening).toBeGreaterThanOrEqual(0);
    expect(listening).toBeLessThan(drain.lines.findIndex((line) => line.startsWith('{') && line.includes('leftover mark')));
    expect((await markOf(REDIS_URL, key)).value).toBeUndefined();

    await startSession(base, 'live-room');
    drain.signal('SIGTERM');
    await drain.log('1 session left', (log) => log.sessions === 1 && log.msg.includes('live-room'));
    expect(await markWithSessions(REDIS_URL, key, 1)).toMatchObject({ sessions: 1 });
    await sleep(2_500);
    expect(drain.exit).toBeUndefined();
    expect(drain.output, 'the child is not signalled while its session runs').not.toContain('child: SIGTERM');

    await stopSession(base, 'live-room');
    expect(await drain.exitWithin(10_000)).toEqual({ code: 7, signal: null });
    const drained = drain.lines.findIndex((line) => line.includes('drained after'));
    const signalled = drain.lines.findIndex((line) => line.includes('child: SIGTERM with 0 sessions'));
    expect(drained).toBeGreaterThanOrEqual(0);
    expect(signalled).toBeGreaterThan(drained);
    expect(drain.logs.at(-1)!.msg).toMatch(/exited with code 7/);
    const mark = await markOf(REDIS_URL, key);
    expect(mark.value).toMatchObject({ sessions: 0 });
    expect(mark.ttl).toBeLessThanOrEqual(30);
    expectWellFormedLogs(drain, 'ten-agent-1');
    await redis(REDIS_URL, 'DEL', key);
  });

  it('passes SIGTERM on at once when no session runs (as after a Kubernetes preStop)', async () => {
    const { drain } = await startRun({ REPLICA_NAME: 'ten-agent-2' });
    await drain.line('child: listening', 15_000);
    drain.signal('SIGTERM');
    expect(await drain.exitWithin(5_000)).toEqual({ code: 7, signal: null });
    expect(drain.output).toContain('child: SIGTERM with 0 sessions');
  });

  it('forwards SIGINT straight to the child, without a drain', async () => {
    const { drain, base } = await startRun({ REPLICA_NAME: 'ten-agent-3' });
    await drain.line('child: listening', 15_000);
    await startSession(base, 'room-f');
    drain.signal('SIGINT');
    expect(await drain.exitWithin(5_000)).toEqual({ code: 5, signal: null });
    expect(drain.output).toContain('child: SIGINT with 1 sessions');
    expect(drain.logs.some((log) => log.msg.startsWith('draining'))).toBe(false);
  });

  it('refuses to start the server while a key the graph needs is empty, naming every one and where to set it', async () => {
    const { drain } = await startRun({ REPLICA_NAME: 'ten-agent-5', REQUIRED_VARIABLES: 'DEEPGRAM_API_KEY,OPENAI_API_KEY,ELEVENLABS_TTS_KEY', DEEPGRAM_API_KEY: '', ELEVENLABS_TTS_KEY: 'set-elsewhere-Zq8' });
    expect(await drain.exitWithin(10_000)).toEqual({ code: 2, signal: null });
    expect(drain.output).not.toContain('child: listening');
    expect(drain.logs.at(-1)).toMatchObject({ level: 'error' });
    expect(drain.logs.at(-1)!.msg).toBe(
      "cannot start: DEEPGRAM_API_KEY and OPENAI_API_KEY are empty or unset, and the voice graph needs them (docker compose: fill them in the .env beside the Compose file, see .env.example; Kubernetes and Railway: the environment's Doppler config)",
    );
    expect(drain.output).not.toContain('set-elsewhere-Zq8');
  });

  it('exits with the code of a child that exits by itself', async () => {
    const { drain } = await startRun({ REPLICA_NAME: 'ten-agent-4', CHILD_EXIT_AFTER_MS: '1500' });
    expect(await drain.exitWithin(15_000)).toEqual({ code: 3, signal: null });
    expect(drain.output).toContain('child: exiting by itself');
    expect(drain.logs.at(-1)!.msg).toMatch(/exited by itself with code 3/);
  });
});
