/**
 * `npm run bench:mcp`: tool-call latency and throughput through the MCP server's /mcp endpoint
 * to a local workflow endpoint, against calling that endpoint directly, in one run.
 * Targets (2 cores): p50 overhead ≤ 2 ms over the direct call, and ≥ 500 calls/s.
 *
 * The workflow endpoint and the server run as separate processes (the server exactly as in
 * production, with its audit log on the local PostgreSQL and Redis); this process is the client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { stringify } from 'yaml';
import { createTestDatabase, REDIS_URL, TOKENS } from '../test/helpers/mcp.ts';

const SERVICE_ROOT = fileURLToPath(new URL('..', import.meta.url));
const LATENCY_CALLS = 1_000;
const WARMUP_CALLS = 200;
const THROUGHPUT_SECONDS = 5;
const CONCURRENCY = 16;
const TARGET_OVERHEAD_MS = 2;
const TARGET_CALLS_PER_SECOND = 500;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (await fetch(url).then((response) => response.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not come up`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Peak resident memory of a process, from /proc (Linux). */
function peakRssMiB(pid: number | undefined): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((entry) => entry.startsWith('VmHWM:'));
    return line === undefined ? undefined : Number(line.replace(/\D+/g, '')) / 1024;
  } catch {
    return undefined;
  }
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

const children: ChildProcess[] = [];
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
  const profile = process.env['BENCH_CPU_PROFILE'] !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_CPU_PROFILE']}`] : [];
  const server = spawn(process.execPath, [...profile, '--import', 'tsx', join(SERVICE_ROOT, 'src/main.ts')], {
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
  const serverUrl = `http://127.0.0.1:${serverPort}`;
  await waitFor(`${serverUrl}/health`);

  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', serverUrl), { requestInit: { headers: { authorization: `Bearer ${TOKENS.console}` } } }));
  const viaMcp = async () => {
    const result = await client.callTool({ name: 'echo', arguments: { n: 1 } });
    if (result.isError === true) throw new Error(JSON.stringify(result.content));
  };
  const direct = async () => {
    const response = await fetch(workflowUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' });
    await response.text();
  };

  await latencies(direct, WARMUP_CALLS);
  await latencies(viaMcp, WARMUP_CALLS);
  const directTimes = await latencies(direct, LATENCY_CALLS);
  const mcpTimes = await latencies(viaMcp, LATENCY_CALLS);
  const mcpRate = await throughput(viaMcp);
  const directRate = await throughput(direct);
  await client.close();

  const overhead = percentile(mcpTimes, 50) - percentile(directTimes, 50);
  const format = (times: number[]) => `p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms`;
  process.stdout.write(`bench:mcp on ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, node ${process.version}\n`);
  process.stdout.write(`direct to the workflow (${LATENCY_CALLS} sequential calls): ${format(directTimes)}\n`);
  process.stdout.write(`through /mcp            (${LATENCY_CALLS} sequential calls): ${format(mcpTimes)}\n`);
  process.stdout.write(`p50 overhead of the MCP server: ${overhead.toFixed(2)} ms\n`);
  process.stdout.write(
    `throughput with ${CONCURRENCY} concurrent callers for ${THROUGHPUT_SECONDS} s: ${mcpRate.toFixed(0)} calls/s through /mcp, ${directRate.toFixed(0)} calls/s direct\n`,
  );
  process.stdout.write(`server peak RSS: ${peakRssMiB(server.pid)?.toFixed(0) ?? '?'} MiB\n`);
  const misses: string[] = [];
  if (overhead > TARGET_OVERHEAD_MS) misses.push(`p50 overhead ${overhead.toFixed(2)} ms > ${TARGET_OVERHEAD_MS} ms`);
  if (mcpRate < TARGET_CALLS_PER_SECOND) misses.push(`${mcpRate.toFixed(0)} calls/s < ${TARGET_CALLS_PER_SECOND}`);
  process.stdout.write(misses.length === 0 ? `targets met: overhead ≤ ${TARGET_OVERHEAD_MS} ms, ≥ ${TARGET_CALLS_PER_SECOND} calls/s\n` : `targets missed: ${misses.join('; ')}\n`);
  process.exitCode = misses.length === 0 ? 0 : 1;
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 500));
  await database.drop();
}
