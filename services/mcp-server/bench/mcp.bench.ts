/**
 * `npm run bench:mcp`: tool-call latency and throughput through the MCP server's /mcp endpoint
 * to a local workflow endpoint, against calling that endpoint directly and against a minimal
 * server on the same SDK version (bench/baseline-server.ts), in one run, each server with the
 * SDK's client and with a raw JSON-RPC client (one fetch POST per call).
 * Targets (2 cores): p50 overhead ≤ 2 ms over the direct call, ≥ 500 calls/s; server CPU per
 * call within 1.1× the baseline's, and p50 ≤ 1 ms with the raw client. Targets are reported; the
 * bench exits non-zero only on errors.
 *
 * The workflow endpoint and both servers run as separate processes (ours exactly as in
 * production, with its audit log on the local PostgreSQL and Redis, auth, rate limits and metrics
 * on); this process is the client.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { transformSync } from 'amaro';
import { stringify } from 'yaml';
import { createTestDatabase, REDIS_URL, TOKENS } from '../test/helpers/mcp.ts';
import { stripServiceSources } from '../test/helpers/strip-sources.ts';
import { machine, median, peakRssMiB, percentile } from '../../../bench/measure.ts';
import { freePort } from '../../../test/helpers/free-port.ts';

const SERVICE_ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = 5;
const LATENCY_CALLS = 500;
const WARMUP_CALLS = 300;
const THROUGHPUT_SECONDS = 3;
const CONCURRENCY = 16;
const TARGET_OVERHEAD_MS = 2;
const TARGET_CALLS_PER_SECOND = 500;
const TARGET_CPU_RATIO = 1.1;
const TARGET_RAW_P50_MS = 1;
/** The baseline on node:http, or with BENCH_BASELINE=express on Express (see bench/baseline-server.ts). */
const BASELINE_FRAMEWORK = process.env['BENCH_BASELINE'] === 'express' ? 'express' : 'node:http';
/**
 * How the baseline calls the workflow: with fetch, or with BENCH_BASELINE_WORKFLOW_CLIENT=request
 * with undici's request API, as our tool runner does (see bench/baseline-server.ts).
 */
const BASELINE_WORKFLOW_CLIENT = process.env['BENCH_BASELINE_WORKFLOW_CLIENT'] === 'request' ? 'request' : 'fetch';
/** What a 2025-11-25 client sends with every request. */
const PROTOCOL_VERSION = '2025-11-25';
/**
 * Node sizes its heap from the container's memory limit (about half of it), and the stack gives
 * the service 256 MiB (constructs/mcp-server.ts); on this unconstrained machine it would take far
 * more, and peak RSS would say nothing about whether the service fits its limit.
 */
const SERVER_HEAP_MIB = 128;

async function waitFor(url: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (await fetch(url).then((response) => response.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not come up`);
}

async function latencies(call: () => Promise<unknown>, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    await call();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

/** Clock ticks a second, the unit of utime and stime in /proc/<pid>/stat. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system) a process has used so far, in seconds, from /proc (Linux). */
function cpuSeconds(pid: number | undefined): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is the first, utime the 12th, stime the 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

async function throughput(call: () => Promise<unknown>): Promise<number> {
  const deadline = performance.now() + THROUGHPUT_SECONDS * 1000;
  let completed = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        await call();
        completed += 1;
      }
    }),
  );
  return completed / THROUGHPUT_SECONDS;
}

/** A server under test, as a separate process, with its own SDK client and raw client. */
interface Target {
  readonly name: string;
  readonly process: ChildProcess;
  readonly sdk: () => Promise<void>;
  readonly raw: () => Promise<void>;
  readonly close: () => Promise<void>;
}

const CLIENTS = ['sdk', 'raw'] as const;
type ClientKind = (typeof CLIENTS)[number];
interface Measured {
  times: number[];
  rate: number;
  /** Server CPU per call during the throughput phase, in microseconds. */
  cpuPerCallUs: number;
}

/** The SDK's client, connected (initialize, then initialized) once; a tool call per invocation. */
async function sdkClient(url: string): Promise<{ call: () => Promise<void>; close: () => Promise<void> }> {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', url), { requestInit: { headers: { authorization: `Bearer ${TOKENS.console}` } } }));
  return {
    call: async () => {
      const result = await client.callTool({ name: 'echo', arguments: { n: 1 } });
      if (result.isError === true) throw new Error(JSON.stringify(result.content));
    },
    close: () => client.close(),
  };
}

/** A raw JSON-RPC client: one POST of a tools/call per invocation, with the headers a 2025-11-25 client sends. */
function rawClient(url: string): () => Promise<void> {
  const endpoint = new URL('/mcp', url);
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': PROTOCOL_VERSION,
    authorization: `Bearer ${TOKENS.console}`,
  };
  let lastId = 0;
  return async () => {
    const id = (lastId += 1);
    const response = await fetch(endpoint, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { n: 1 } } }),
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`raw client: ${response.status} ${text}`);
    const message = JSON.parse(text) as { id?: unknown; result?: { isError?: boolean }; error?: unknown };
    if (message.id !== id || message.result === undefined || message.result.isError === true) throw new Error(`raw client: ${text}`);
  };
}

const children: ChildProcess[] = [];
let stripped: string | undefined;
const database = await createTestDatabase();
try {
  const workflowPort = await freePort();
  // The workflow endpoint: answers at once, like a Pipedream workflow that responds immediately.
  children.push(
    spawn(process.execPath, ['-e', `require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => s.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')); }).listen(${workflowPort}, '127.0.0.1')`], { stdio: 'ignore' }),
  );
  const workflowUrl = `http://127.0.0.1:${workflowPort}/workflows/echo`;
  const catalog = join(tmpdir(), `bench-catalog-${process.pid}.yaml`);
  writeFileSync(
    catalog,
    stringify({ tools: [{ name: 'echo', kind: 'workflow', title: 'Echo', description: 'Answers at once.', url: workflowUrl, inputSchema: { type: 'object' } }] }),
  );
  const serverPort = await freePort();
  const baselinePort = await freePort();
  // BENCH_CPU_PROFILE=<dir>: a V8 CPU profile of each server (ours.cpuprofile, baseline.cpuprofile),
  // for comparing where their CPU goes; profiling slows both, so take the figures from a run without it.
  const profileDirectory = process.env['BENCH_CPU_PROFILE'];
  const profile = (name: string) => (profileDirectory !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${profileDirectory}`, `--cpu-prof-name=${name}.cpuprofile`] : []);
  // Plain JavaScript under plain Node, as the image runs it (Node strips the types there); tsx
  // would add its own start-up work and memory to the figures. The heap is capped as Node caps
  // it in the service's container (see SERVER_HEAP_MIB). The baseline runs the same way.
  stripped = stripServiceSources();
  const baselineScript = join(stripped, 'baseline-server.js');
  writeFileSync(baselineScript, transformSync(readFileSync(join(SERVICE_ROOT, 'bench/baseline-server.ts'), 'utf8'), { mode: 'strip-only' }).code);
  const server = spawn(process.execPath, [...profile('ours'), `--max-old-space-size=${SERVER_HEAP_MIB}`, join(stripped, 'main.js')], {
    cwd: SERVICE_ROOT,
    env: {
      PATH: process.env['PATH'],
      PORT: String(serverPort),
      HOST: '127.0.0.1',
      MCP_AUTH_TOKENS: `console:${TOKENS.console}`,
      MCP_ALLOWED_HOSTS: '127.0.0.1',
      TOOL_CATALOG: catalog,
      DATABASE_URL: database.url,
      REDIS_URL,
      RATE_LIMIT_PER_MINUTE: '100000000',
      LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'info',
    },
    stdio: 'ignore',
  });
  children.push(server);
  const baseline = spawn(process.execPath, [...profile('baseline'), `--max-old-space-size=${SERVER_HEAP_MIB}`, baselineScript], {
    cwd: SERVICE_ROOT,
    env: { PATH: process.env['PATH'], PORT: String(baselinePort), WORKFLOW_URL: workflowUrl, TOKEN: TOKENS.console, FRAMEWORK: BASELINE_FRAMEWORK, WORKFLOW_CLIENT: BASELINE_WORKFLOW_CLIENT },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(baseline);
  const serverUrl = `http://127.0.0.1:${serverPort}`;
  const baselineUrl = `http://127.0.0.1:${baselinePort}`;
  await waitFor(`${serverUrl}/health`);
  await waitFor(`${baselineUrl}/health`);

  // The SDK's Streamable HTTP client passes one AbortSignal to every fetch, and undici only drops
  // its abort listener when the request object is garbage-collected; under this call rate Node
  // would print a listener-leak warning per call (undici sets the signal's own limit to 1500,
  // whatever the default). The listeners are released, so those warnings are dropped; any other
  // warning is printed as Node would.
  const printWarning = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'MaxListenersExceededWarning' && warning.message.includes('AbortSignal')) return;
    for (const print of printWarning) print(warning);
  });
  const targets: Target[] = [];
  for (const [name, url, child] of [
    ['ours', serverUrl, server],
    ['baseline', baselineUrl, baseline],
  ] as const) {
    const sdk = await sdkClient(url);
    targets.push({ name, process: child, sdk: sdk.call, raw: rawClient(url), close: sdk.close });
  }
  const direct = async () => {
    const response = await fetch(workflowUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' });
    await response.text();
  };

  await latencies(direct, WARMUP_CALLS);
  for (const target of targets) for (const client of CLIENTS) await latencies(target[client], WARMUP_CALLS);
  // Rounds alternate the paths (and reverse their order every other round) so drift on the
  // machine (other load, GC, JIT) hits all alike; the report is the median over rounds.
  const pairs = targets.flatMap((target) => CLIENTS.map((client) => ({ target, client })));
  const key = (target: Target, client: ClientKind) => `${target.name} ${client}`;
  const rounds: { direct: number[]; directRate: number; paths: Map<string, Measured> }[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    const order = round % 2 === 1 ? pairs : [...pairs].reverse();
    const directTimes = await latencies(direct, LATENCY_CALLS);
    const times = new Map<string, number[]>();
    for (const { target, client } of order) times.set(key(target, client), await latencies(target[client], LATENCY_CALLS));
    const paths = new Map<string, Measured>();
    for (const { target, client } of order) {
      const call = target[client];
      let calls = 0;
      const counted = async () => {
        await call();
        calls += 1;
      };
      const cpuBefore = cpuSeconds(target.process.pid);
      const rate = await throughput(counted);
      const cpuPerCallUs = ((cpuSeconds(target.process.pid) - cpuBefore) / calls) * 1e6;
      paths.set(key(target, client), { times: times.get(key(target, client))!, rate, cpuPerCallUs });
    }
    const directRate = await throughput(direct);
    rounds.push({ direct: directTimes, directRate, paths });
    const summary = pairs.map(({ target, client }) => {
      const measured = paths.get(key(target, client))!;
      return `${key(target, client)} p50 ${percentile(measured.times, 50).toFixed(2)} ms, ${measured.rate.toFixed(0)}/s, ${measured.cpuPerCallUs.toFixed(0)} µs CPU`;
    });
    process.stderr.write(`round ${round}/${ROUNDS}: direct p50 ${percentile(directTimes, 50).toFixed(2)} ms; ${summary.join('; ')}\n`);
  }
  for (const target of targets) await target.close();

  const stat = (pick: (r: (typeof rounds)[number]) => number) => median(rounds.map(pick));
  const path = (target: Target, client: ClientKind, pick: (m: Measured) => number) => stat((r) => pick(r.paths.get(key(target, client))!));
  const [ours, base] = targets as [Target, Target];
  const directP50 = stat((r) => percentile(r.direct, 50));
  const mcpP50 = path(ours, 'sdk', (m) => percentile(m.times, 50));
  const overhead = stat((r) => percentile(r.paths.get(key(ours, 'sdk'))!.times, 50) - percentile(r.direct, 50));
  const mcpRate = path(ours, 'sdk', (m) => m.rate);
  const directRate = stat((r) => r.directRate);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`bench:mcp on ${machine()}; medians over ${ROUNDS} rounds`);
  out(`direct to the workflow (${LATENCY_CALLS} sequential calls a round): p50 ${directP50.toFixed(2)} ms, p99 ${stat((r) => percentile(r.direct, 99)).toFixed(2)} ms`);
  out(`through /mcp            (${LATENCY_CALLS} sequential calls a round): p50 ${mcpP50.toFixed(2)} ms, p99 ${path(ours, 'sdk', (m) => percentile(m.times, 99)).toFixed(2)} ms`);
  out(`p50 overhead of the MCP server: ${overhead.toFixed(2)} ms`);
  out(`throughput with ${CONCURRENCY} concurrent callers for ${THROUGHPUT_SECONDS} s a round: ${mcpRate.toFixed(0)} calls/s through /mcp, ${directRate.toFixed(0)} calls/s direct`);
  out(`against the minimal baseline server on ${BASELINE_FRAMEWORK}, calling the workflow with ${BASELINE_WORKFLOW_CLIENT === 'request' ? "undici's request" : 'fetch'} (${LATENCY_CALLS} sequential calls, then ${CONCURRENCY} concurrent callers for ${THROUGHPUT_SECONDS} s, a round; CPU of the server process over the concurrent phase):`);
  out(`  server    client  p50 ms  p95 ms  calls/s  CPU µs/call`);
  for (const { target, client } of pairs) {
    out(
      `  ${target.name.padEnd(9)} ${client.padEnd(6)} ${path(target, client, (m) => percentile(m.times, 50)).toFixed(2).padStart(7)} ${path(target, client, (m) => percentile(m.times, 95)).toFixed(2).padStart(7)} ${path(target, client, (m) => m.rate).toFixed(0).padStart(8)} ${path(target, client, (m) => m.cpuPerCallUs).toFixed(0).padStart(12)}`,
    );
  }
  // The ratio per round (both servers measured under the same conditions), then the median.
  const cpuRatio = (client: ClientKind) => stat((r) => r.paths.get(key(ours, client))!.cpuPerCallUs / r.paths.get(key(base, client))!.cpuPerCallUs);
  const ratios = CLIENTS.map((client) => ({ client, ratio: cpuRatio(client) }));
  out(`CPU per call, ours / baseline: ${ratios.map(({ client, ratio }) => `${ratio.toFixed(2)}× with the ${client} client`).join(', ')}`);
  out(`peak RSS: server ${peakRssMiB(server.pid)?.toFixed(0) ?? '?'} MiB, baseline ${peakRssMiB(baseline.pid)?.toFixed(0) ?? '?'} MiB, bench client ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  const rawP50 = path(ours, 'raw', (m) => percentile(m.times, 50));
  const verdict = (met: boolean) => (met ? 'met' : 'not met');
  out(`target overhead ≤ ${TARGET_OVERHEAD_MS} ms: ${verdict(overhead <= TARGET_OVERHEAD_MS)} (${overhead.toFixed(2)} ms)`);
  out(`target ≥ ${TARGET_CALLS_PER_SECOND} calls/s: ${verdict(mcpRate >= TARGET_CALLS_PER_SECOND)} (${mcpRate.toFixed(0)} calls/s)`);
  out(`target CPU per call ≤ ${TARGET_CPU_RATIO}× the baseline's: ${verdict(ratios.every(({ ratio }) => ratio <= TARGET_CPU_RATIO))} (${ratios.map(({ ratio }) => `${ratio.toFixed(2)}×`).join(', ')})`);
  out(`target p50 ≤ ${TARGET_RAW_P50_MS} ms with the raw client: ${verdict(rawP50 <= TARGET_RAW_P50_MS)} (${rawP50.toFixed(2)} ms)`);
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 500));
  await database.drop();
  if (stripped !== undefined) rmSync(stripped, { recursive: true, force: true });
}
