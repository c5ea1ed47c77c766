import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toYaml } from '../../charts/serialize.ts';
import { freePort } from './free-port.ts';

/**
 * A real Prometheus (Debian's /usr/bin/prometheus, package `prometheus`, the one that ships
 * promtool) for a test: its configuration and rule files written with the repository's YAML
 * serializer into a temporary directory that also holds its TSDB, listening on a free loopback
 * port, and its HTTP API as the test needs it.
 */

export const PROMETHEUS = process.env['PROMETHEUS_PATH'] ?? '/usr/bin/prometheus';

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 10_000;

/** One series of an instant query: its labels and its value as Prometheus writes it ("NaN" included). */
export interface Sample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

export interface RunningPrometheus {
  readonly url: string;
  /** The temporary directory: prometheus.yml, the rule files, data/. */
  readonly directory: string;
  /** An instant query; throws on a query Prometheus refuses (a bad expression). */
  query(expr: string): Promise<Sample[]>;
  /** GET /api/v1/<path>'s `data`. */
  api<T>(path: string): Promise<T>;
  /** What Prometheus printed, for a failure message. */
  output(): string;
  /** Kills it (SIGTERM, then SIGKILL) and removes the directory. */
  close(): Promise<void>;
}

/**
 * Starts Prometheus with `config` as prometheus.yml and each of `ruleFiles` (name → content)
 * beside it; `config.rule_files` should name them. Resolves once /-/ready answers.
 */
export async function startPrometheus(config: Record<string, unknown>, ruleFiles: Record<string, unknown>): Promise<RunningPrometheus> {
  const directory = mkdtempSync(join(tmpdir(), 'live-prometheus-'));
  writeFileSync(join(directory, 'prometheus.yml'), toYaml(config));
  for (const [name, content] of Object.entries(ruleFiles)) writeFileSync(join(directory, name), toYaml(content));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(directory, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(directory, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { cwd: directory, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killed = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(killed);
    }
    rmSync(directory, { recursive: true, force: true });
  };

  const get = async (path: string): Promise<Response> => fetch(`${url}${path}`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await close();
      throw new Error(`prometheus exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output.slice(-4000)}`);
    }
    const ready = await get('/-/ready').then((response) => response.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await close();
      throw new Error(`prometheus was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${output.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  const api = async <T>(path: string): Promise<T> => {
    const response = await get(`/api/v1/${path}`);
    const body = (await response.json()) as { status: string; data?: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus /api/v1/${path}: ${response.status} ${body.error ?? ''}`);
    return body.data as T;
  };
  return {
    url,
    directory,
    api,
    async query(expr) {
      const data = await api<{ resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(`query?query=${encodeURIComponent(expr)}`);
      if (data.resultType !== 'vector') throw new Error(`${expr}: a ${data.resultType}, not an instant vector`);
      return data.result.map(({ metric, value }) => ({ metric, value: Number(value[1]) }));
    },
    output: () => output,
    close,
  };
}
