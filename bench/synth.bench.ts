/**
 * `npm run bench:synth`: how long a synth takes, full and Kubernetes-only, as median wall time
 * over repeated runs, with peak memory. Targets (2-core machine): full synth < 1.5 s, and
 * < 1.3× the Kubernetes-only render. Exits 1 when a target is missed.
 *
 * Two views:
 * - warm, in one process: build the construct trees, render, write (imports already loaded);
 * - cold, a fresh process per run: what `npm run synth` costs, minus npm's own start-up.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderEnvironments } from '../charts/render.ts';
import { REPO_ROOT } from '../constructs/repo-root.ts';
import { loadEnvironments } from '../cli/load-environments.ts';
import { writeOutput } from '../cli/write-output.ts';
import { ENVIRONMENT_FILES } from '../environments/index.ts';
import { machine, median } from './measure.ts';

const WARMUP_RUNS = 3;
const WARM_RUNS = 41;
const COLD_RUNS = 7;
const TARGET_FULL_SECONDS = 1.5;
const TARGET_RATIO = 1.3;

const files = ENVIRONMENT_FILES.map((file) => join(REPO_ROOT, file));
const out = mkdtempSync(join(tmpdir(), 'voice-agent-bench-'));

async function fullSynth(): Promise<void> {
  const output = renderEnvironments(await loadEnvironments(files));
  await writeOutput(output, out);
}

async function kubernetesOnly(): Promise<void> {
  const output = renderEnvironments(await loadEnvironments(files), { only: 'kubernetes' });
  await writeOutput(output, out);
}

/** Medians of both variants, run alternately so garbage collection and caches weigh on each alike. */
async function warmMedians(): Promise<{ full: number; kubernetes: number }> {
  for (let i = 0; i < WARMUP_RUNS; i += 1) {
    await fullSynth();
    await kubernetesOnly();
  }
  const full: number[] = [];
  const kubernetes: number[] = [];
  for (let i = 0; i < WARM_RUNS; i += 1) {
    const pair = [
      [fullSynth, full],
      [kubernetesOnly, kubernetes],
    ] as const;
    // Alternate which goes first, so garbage one leaves behind is billed to both alike.
    for (const [run, times] of i % 2 === 0 ? pair : [...pair].reverse()) {
      const started = performance.now();
      await run();
      times.push(performance.now() - started);
    }
  }
  return { full: median(full), kubernetes: median(kubernetes) };
}

/** Runs synth in fresh processes; each reports its own wall time from process start and peak RSS. */
function coldRuns(only: 'kubernetes' | undefined): { medianMs: number; peakRssMiB: number } {
  const script = `
    import { renderEnvironments } from './charts/render.ts';
    import { loadEnvironments } from './cli/load-environments.ts';
    import { writeOutput } from './cli/write-output.ts';
    const output = renderEnvironments(await loadEnvironments(${JSON.stringify(files)}), ${only ? `{ only: '${only}' }` : '{}'});
    await writeOutput(output, ${JSON.stringify(out)});
    process.stdout.write(JSON.stringify({ ms: performance.now(), rssKiB: process.resourceUsage().maxRSS }));
  `;
  const results = Array.from({ length: COLD_RUNS }, () => {
    const started = performance.now();
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`cold synth failed: ${child.stderr}`);
    const report = JSON.parse(child.stdout) as { ms: number; rssKiB: number };
    return { wallMs: performance.now() - started, rssKiB: report.rssKiB };
  });
  return { medianMs: median(results.map((result) => result.wallMs)), peakRssMiB: Math.max(...results.map((result) => result.rssKiB)) / 1024 };
}

process.stdout.write(`bench:synth on ${machine()}\n`);

const { full: warmFull, kubernetes: warmKubernetes } = await warmMedians();
const warmPeak = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`warm (in process, median of ${WARM_RUNS}): full ${warmFull.toFixed(1)} ms, kubernetes-only ${warmKubernetes.toFixed(1)} ms, ratio ${(warmFull / warmKubernetes).toFixed(2)}; peak RSS ${warmPeak.toFixed(0)} MiB\n`);

const coldFull = coldRuns(undefined);
const coldKubernetes = coldRuns('kubernetes');
const coldRatio = coldFull.medianMs / coldKubernetes.medianMs;
process.stdout.write(
  `cold (fresh process, median of ${COLD_RUNS}): full ${coldFull.medianMs.toFixed(0)} ms (peak RSS ${coldFull.peakRssMiB.toFixed(0)} MiB), ` +
    `kubernetes-only ${coldKubernetes.medianMs.toFixed(0)} ms (peak RSS ${coldKubernetes.peakRssMiB.toFixed(0)} MiB), ratio ${coldRatio.toFixed(2)}\n`,
);
rmSync(out, { recursive: true, force: true });

const misses: string[] = [];
if (coldFull.medianMs / 1000 >= TARGET_FULL_SECONDS) misses.push(`full synth ${coldFull.medianMs.toFixed(0)} ms ≥ ${TARGET_FULL_SECONDS * 1000} ms`);
if (coldRatio >= TARGET_RATIO) misses.push(`cold full/kubernetes ratio ${coldRatio.toFixed(2)} ≥ ${TARGET_RATIO}`);
if (warmFull / warmKubernetes >= TARGET_RATIO) misses.push(`warm full/kubernetes ratio ${(warmFull / warmKubernetes).toFixed(2)} ≥ ${TARGET_RATIO}`);
process.stdout.write(misses.length === 0 ? `targets met: full < ${TARGET_FULL_SECONDS} s and < ${TARGET_RATIO}× kubernetes-only\n` : `targets missed: ${misses.join('; ')}\n`);
process.exitCode = misses.length === 0 ? 0 : 1;
