/**
 * `npm run bench:console`: the console's two performance figures, from a production build.
 * - First-load JavaScript of the console route: Chromium signs in and opens the console; every
 *   script it loads from the console is gzipped and summed (target ≤ 200 kB).
 * - `/api/health` under local load: requests arrive at a steady 200 a second (an open model, as
 *   probes and status pages call it), 3 s a round, five rounds; the report is the median of the
 *   rounds' p50 and p99 (target p50 < 5 ms). A closed loop of 16 callers then measures capacity:
 *   at saturation latency is only concurrency ÷ throughput, so it is reported as throughput.
 * Needs the build (`npm run build:frontend`) and the local PostgreSQL and Redis.
 */
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startConsoleStack } from '../test/helpers/console-stack.ts';
import { machine, median, peakRssMiB, percentile } from '../../../bench/measure.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ROUNDS = 5;
const SECONDS_PER_ROUND = 3;
const ARRIVALS_PER_SECOND = 200;
const CONCURRENCY = 16;
/** Node gives the heap about half the container's memory; the stack gives the console 384 MiB. */
const SERVER_HEAP_MIB = 192;
const TARGET_FIRST_LOAD_KB = 200;
const TARGET_HEALTH_P50_MS = 5;

/** Signs in with Chromium and returns the gzipped size of every script each page loaded. */
async function firstLoadJs(url: string, issuer: string): Promise<{ signedOut: number; console: number; files: number }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'] });
  try {
    const page = await browser.newPage();
    let scripts = new Map<string, number>();
    page.on('response', (response) => {
      if (!response.url().startsWith(url) || !(response.headers()['content-type'] ?? '').includes('javascript')) return;
      void response.body().then((body) => scripts.set(response.url(), gzipSync(body).length), () => undefined);
    });
    const sum = () => [...scripts.values()].reduce((total, size) => total + size, 0);
    await page.goto(url, { waitUntil: 'networkidle' });
    const signedOut = sum();
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL(`${issuer}/interaction/**`);
    await page.fill('input[name=login]', 'bench');
    // A fresh page load of the console: count only what it loads.
    await Promise.all([page.waitForURL(`${url}/`), page.click('button[type=submit]')]);
    scripts = new Map();
    await page.reload({ waitUntil: 'networkidle' });
    await page.getByTestId('signed-in-user').waitFor();
    return { signedOut, console: sum(), files: scripts.size };
  } finally {
    await browser.close();
  }
}

async function timedGet(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return performance.now() - started;
}

/** One round at a steady arrival rate: each request starts on schedule, whatever the others do. */
async function steadyRound(url: string): Promise<number[]> {
  const count = ARRIVALS_PER_SECOND * SECONDS_PER_ROUND;
  const interval = 1000 / ARRIVALS_PER_SECOND;
  const start = performance.now();
  const requests = Array.from(
    { length: count },
    (_, index) => new Promise<number>((resolve, reject) => setTimeout(() => timedGet(url).then(resolve, reject), Math.max(0, start + index * interval - performance.now()))),
  );
  return (await Promise.all(requests)).sort((a, b) => a - b);
}

/** Capacity: CONCURRENCY callers, each sending its next request as soon as the last returns. */
async function saturatedRate(url: string): Promise<number> {
  const deadline = performance.now() + SECONDS_PER_ROUND * 1000;
  let completed = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        await timedGet(url);
        completed += 1;
      }
    }),
  );
  return completed / SECONDS_PER_ROUND;
}

const stack = await startConsoleStack({ env: { LOG_LEVEL: 'warn', NODE_OPTIONS: `--max-old-space-size=${SERVER_HEAP_MIB}` } });
try {
  const bundle = await firstLoadJs(stack.url, stack.oidc.issuer);
  const health = `${stack.url}/api/health`;
  await steadyRound(health); // warm-up
  const rounds: Array<{ latencies: number[]; capacity: number }> = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    const latencies = await steadyRound(health);
    const capacity = await saturatedRate(health);
    rounds.push({ latencies, capacity });
    process.stderr.write(`round ${round}/${ROUNDS}: p50 ${percentile(latencies, 50).toFixed(2)} ms at ${ARRIVALS_PER_SECOND}/s; capacity ${capacity.toFixed(0)} requests/s\n`);
  }
  const p50 = median(rounds.map((round) => percentile(round.latencies, 50)));
  const p99 = median(rounds.map((round) => percentile(round.latencies, 99)));
  const capacity = median(rounds.map((round) => round.capacity));
  const kb = (bytes: number) => (bytes / 1024).toFixed(1);

  process.stdout.write(`bench:console on ${machine()}\n`);
  process.stdout.write(`first-load JavaScript, gzipped: console route ${kb(bundle.console)} kB in ${bundle.files} files; sign-in page ${kb(bundle.signedOut)} kB\n`);
  process.stdout.write(`/api/health at ${ARRIVALS_PER_SECOND} requests/s, median of ${ROUNDS} rounds of ${SECONDS_PER_ROUND} s: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms\n`);
  process.stdout.write(`/api/health capacity with ${CONCURRENCY} callers in a closed loop: ${capacity.toFixed(0)} requests/s\n`);
  process.stdout.write(`console server peak RSS: ${peakRssMiB(stack.pid)?.toFixed(0) ?? '?'} MiB\n`);
  const misses: string[] = [];
  if (bundle.console / 1024 > TARGET_FIRST_LOAD_KB) misses.push(`first-load JS ${kb(bundle.console)} kB > ${TARGET_FIRST_LOAD_KB} kB`);
  if (p50 >= TARGET_HEALTH_P50_MS) misses.push(`/api/health p50 ${p50.toFixed(2)} ms ≥ ${TARGET_HEALTH_P50_MS} ms`);
  process.stdout.write(misses.length === 0 ? `targets met: first-load JS ≤ ${TARGET_FIRST_LOAD_KB} kB, /api/health p50 < ${TARGET_HEALTH_P50_MS} ms\n` : `targets missed: ${misses.join('; ')}\n`);
  process.exitCode = misses.length === 0 ? 0 : 1;
} finally {
  await stack.close();
}
