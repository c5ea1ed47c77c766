/**
 * `npm run bench:mcp`: tool-call latency and throughput through the MCP server's /mcp endpoint
 * to a local workflow endpoint, against calling that endpoint directly, in one run.
 * Targets (2 cores): p50 overhead ≤ 2 ms over the direct call, and ≥ 500 calls/s.
 *
 * The workflow endpoint and the server run as separate processes (the server exactly as in
 * production, with its audit log on the local PostgreSQL and Redis); this process is the client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
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
  const profile = process.env['BENCH_CPU_PROFILE'] !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_CPU_PROFILE']}`] : [];
  // Plain JavaScript under plain Node, as the image runs it (Node strips the types there); tsx
  // would add its own start-up work and memory to the figures. The heap is capped as Node caps
  // it in the service's container (see SERVER_HEAP_MIB).
  stripped = stripServiceSources();
  const server = spawn(process.execPath, [...profile, `--max-old-space-size=${SERVER_HEAP_MIB}`, join(stripped, 'main.js')], {
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

  // The SDK's Streamable HTTP client passes one AbortSignal to every fetch, and undici only drops
  // its abort listener when the request object is garbage-collected; under this call rate Node
  // would print a listener-leak warning per call. The listeners are released, so lift the limit.
  setMaxListeners(0);
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
  // Rounds alternate the two paths so drift on the machine (other load, GC, JIT) hits both alike;
  // the report is the median over rounds.
  const rounds: { direct: number[]; mcp: number[]; mcpRate: number; directRate: number }[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    const directTimes = await latencies(direct, LATENCY_CALLS);
    const mcpTimes = await latencies(viaMcp, LATENCY_CALLS);
    const mcpRate = await throughput(viaMcp);
    const directRate = await throughput(direct);
    rounds.push({ direct: directTimes, mcp: mcpTimes, mcpRate, directRate });
    process.stderr.write(
      `round ${round}/${ROUNDS}: p50 direct ${percentile(directTimes, 50).toFixed(2)} ms, /mcp ${percentile(mcpTimes, 50).toFixed(2)} ms; ${mcpRate.toFixed(0)} calls/s through /mcp\n`,
    );
  }
  await client.close();

  const stat = (pick: (r: (typeof rounds)[number]) => number) => median(rounds.map(pick));
  const directP50 = stat((r) => percentile(r.direct, 50));
  const mcpP50 = stat((r) => percentile(r.mcp, 50));
  const overhead = stat((r) => percentile(r.mcp, 50) - percentile(r.direct, 50));
  const mcpRate = stat((r) => r.mcpRate);
  const directRate = stat((r) => r.directRate);
  process.stdout.write(`bench:mcp on ${machine()}; medians over ${ROUNDS} rounds\n`);
  process.stdout.write(`direct to the workflow (${LATENCY_CALLS} sequential calls a round): p50 ${directP50.toFixed(2)} ms, p99 ${stat((r) => percentile(r.direct, 99)).toFixed(2)} ms\n`);
  process.stdout.write(`through /mcp            (${LATENCY_CALLS} sequential calls a round): p50 ${mcpP50.toFixed(2)} ms, p99 ${stat((r) => percentile(r.mcp, 99)).toFixed(2)} ms\n`);
  process.stdout.write(`p50 overhead of the MCP server: ${overhead.toFixed(2)} ms\n`);
  process.stdout.write(
    `throughput with ${CONCURRENCY} concurrent callers for ${THROUGHPUT_SECONDS} s a round: ${mcpRate.toFixed(0)} calls/s through /mcp, ${directRate.toFixed(0)} calls/s direct\n`,
  );
  process.stdout.write(`peak RSS: server ${peakRssMiB(server.pid)?.toFixed(0) ?? '?'} MiB, bench client ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB\n`);
  const misses: string[] = [];
  if (overhead > TARGET_OVERHEAD_MS) misses.push(`p50 overhead ${overhead.toFixed(2)} ms > ${TARGET_OVERHEAD_MS} ms`);
  if (mcpRate < TARGET_CALLS_PER_SECOND) misses.push(`${mcpRate.toFixed(0)} calls/s < ${TARGET_CALLS_PER_SECOND}`);
  process.stdout.write(misses.length === 0 ? `targets met: overhead ≤ ${TARGET_OVERHEAD_MS} ms, ≥ ${TARGET_CALLS_PER_SECOND} calls/s\n` : `targets missed: ${misses.join('; ')}\n`);
  process.exitCode = misses.length === 0 ? 0 : 1;
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 500));
  await database.drop();
  if (stripped !== undefined) rmSync(stripped, { recursive: true, force: true });
}
