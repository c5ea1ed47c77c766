/**
 * services/ten-agent/telemetry/with_collector.py, run for real with python3. The OpenTelemetry
 * Collector itself cannot run here (no image, no binary), so a small script stands in for it: it
 * records each start and its arguments, and exits, waits for SIGTERM or ignores it as told. The
 * command beside it is another small script standing in for the agent server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../constructs/repo-root.ts';

const SCRIPT = join(REPO_ROOT, 'services/ten-agent/telemetry/with_collector.py');
const LOG_KEYS = ['level', 'msg', 'replica', 'service', 'time'];

interface SupervisorLog {
  time: string;
  level: 'info' | 'warn' | 'error';
  service: string;
  replica: string;
  msg: string;
}

let dir: string;
/** The collector stand-in: FAKE_COLLECTOR=exit | serve | stubborn. */
let collector: string;
/** The server stand-in: runs until SIGTERM (exit 0) or SIGINT (exit 130), or exits with SERVER_EXIT after SERVER_EXIT_AFTER seconds. */
let server: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'with-collector-'));
  collector = join(dir, 'otelcol');
  writeFileSync(
    collector,
    [
      '#!/usr/bin/env python3',
      'import os, signal, sys, time',
      'with open(os.environ["FAKE_STARTS"], "a") as f: f.write(" ".join(sys.argv[1:]) + "\\n")',
      'mode = os.environ["FAKE_COLLECTOR"]',
      'if mode == "exit": sys.exit(3)',
      'def stop(*_):',
      '    open(os.environ["FAKE_STOPPED"], "w").write("SIGTERM")',
      '    sys.exit(0)',
      'signal.signal(signal.SIGTERM, stop if mode == "serve" else signal.SIG_IGN)',
      'while True: time.sleep(0.05)',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  server = join(dir, 'server.py');
  writeFileSync(
    server,
    [
      'import os, signal, sys, time',
      'signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))',
      'print("server up", flush=True)',
      'after = os.environ.get("SERVER_EXIT_AFTER")',
      'deadline = time.monotonic() + float(after) if after else None',
      'while deadline is None or time.monotonic() < deadline: time.sleep(0.05)',
      'sys.exit(int(os.environ["SERVER_EXIT"]))',
      '',
    ].join('\n'),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  process: ChildProcess;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  starts: () => string[];
  stopped: () => boolean;
  logs: () => SupervisorLog[];
}

function start(name: string, env: Record<string, string>, command: string[] = ['python3', server]): Run {
  const starts = join(dir, `${name}.starts`);
  const stopped = join(dir, `${name}.stopped`);
  const child = spawn('python3', [SCRIPT, '--', ...command], {
    env: {
      PATH: process.env['PATH'] ?? '',
      OTELCOL_BIN: collector,
      OTELCOL_CONFIG: '/app/telemetry/otelcol.yaml',
      REPLICA_NAME: 'ten-agent-0',
      FAKE_STARTS: starts,
      FAKE_STOPPED: stopped,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const complete = pending.split('\n');
    pending = complete.pop()!;
    lines.push(...complete);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return {
    process: child,
    lines,
    exited,
    starts: () => (existsSync(starts) ? readFileSync(starts, 'utf8').split('\n').filter(Boolean) : []),
    stopped: () => existsSync(stopped),
    logs: () => lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as SupervisorLog),
  };
}

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('with_collector.py: the metrics collector beside the agent server', () => {
  it('starts the collector with its configuration, passes SIGTERM to the server, then stops the collector and exits with the server\'s code', async () => {
    const run = start('sigterm', { FAKE_COLLECTOR: 'serve' });
    await until(() => run.lines.includes('server up') && run.starts().length === 1, 'the server and the collector');
    expect(run.starts()).toEqual(['--config=/app/telemetry/otelcol.yaml']);
    run.process.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.stopped(), 'the collector got SIGTERM').toBe(true);
    for (const log of run.logs()) {
      expect(Object.keys(log).sort()).toEqual(LOG_KEYS);
      expect(log).toMatchObject({ service: 'ten-agent-telemetry', replica: 'ten-agent-0' });
      expect(Number.isNaN(Date.parse(log.time))).toBe(false);
    }
    expect(run.logs().map((log) => log.msg)).toEqual([expect.stringMatching(/^started the metrics collector \(pid \d+\)$/)]);
  });

  it("passes on the server's own exit code, and a signal's as 128 + n", async () => {
    const exited = start('exit-code', { FAKE_COLLECTOR: 'serve', SERVER_EXIT: '7', SERVER_EXIT_AFTER: '0.3' });
    expect(await exited.exited).toEqual({ code: 7, signal: null });
    expect(exited.stopped()).toBe(true);

    const interrupted = start('sigint', { FAKE_COLLECTOR: 'serve' }, ['python3', '-c', 'import time\nprint("server up", flush=True)\nwhile True: time.sleep(0.05)']);
    await until(() => interrupted.lines.includes('server up'), 'the server');
    interrupted.process.kill('SIGINT');
    // Python ends on an uncaught KeyboardInterrupt by killing itself with SIGINT: 128 + 2.
    expect((await interrupted.exited).code).toBe(130);
    expect(interrupted.stopped()).toBe(true);
  });

  it('restarts a collector that keeps failing, waiting 1 s, then 2 s, while the server runs on', async () => {
    const run = start('failing', { FAKE_COLLECTOR: 'exit' });
    await until(() => run.starts().length === 3, 'a third start', 6000);
    expect(run.process.exitCode, 'the server and the supervisor still run').toBeNull();
    const restarts = run.logs().filter((log) => log.level === 'warn').map((log) => log.msg);
    expect(restarts.slice(0, 2)).toEqual([
      expect.stringMatching(/^the metrics collector exited with code 3 after \d+\.\d s; restarting it in 1 s$/),
      expect.stringMatching(/^the metrics collector exited with code 3 after \d+\.\d s; restarting it in 2 s$/),
    ]);
    run.process.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
  });

  it('runs the server without metrics when the collector cannot be executed, and says so once', async () => {
    const run = start('missing', { OTELCOL_BIN: join(dir, 'no-such-otelcol'), SERVER_EXIT: '0', SERVER_EXIT_AFTER: '1.5' });
    expect(await run.exited).toEqual({ code: 0, signal: null });
    const errors = run.logs().filter((log) => log.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toMatch(/^cannot start the metrics collector .*no-such-otelcol: .*; TEN's metrics will be missing$/);
  });

  it('kills a collector that ignores SIGTERM after 5 s', async () => {
    const run = start('stubborn', { FAKE_COLLECTOR: 'stubborn', SERVER_EXIT: '0', SERVER_EXIT_AFTER: '0.3' });
    const startedAt = Date.now();
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(5000);
    expect(run.logs().map((log) => log.msg)).toContain('the metrics collector did not stop within 5 s of SIGTERM; killing it');
  }, 15_000);

  it('refuses to start without a command', async () => {
    const run = start('usage', { FAKE_COLLECTOR: 'serve' }, []);
    expect((await run.exited).code).toBe(2);
    expect(run.starts()).toEqual([]);
  });
});
