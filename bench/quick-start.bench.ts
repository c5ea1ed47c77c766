/**
 * `npm run bench:quick-start`: the README's quick start, `npm ci && npm run synth`, in a fresh
 * clone of this repository's committed HEAD, with npm's cache as it is (warm once anything has
 * been installed here). Median wall time of three runs, the CPU time they used and peak RSS (the
 * largest process), with the load average around each run: the machine may be shared, and wall
 * time on two busy cores says less than CPU time. Target: median < 60 s on 2 cores. Exits 1 when
 * it is missed.
 *
 * `-- --baseline <ref>` also measures the quick start of another commit (the one before a change,
 * say), interleaved with HEAD's runs so both see the same machine, and reports the ratio;
 * `-- --runs <n>` changes the number of runs of each.
 *
 * Measured with GNU time (/usr/bin/time, Debian package `time`): Node sees no child's peak memory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../constructs/repo-root.ts';
import { machine, median } from './measure.ts';

const option = (name: string) => {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
};
const RUNS = Number(option('--runs') ?? 3);
const BASELINE = option('--baseline');
const TARGET_SECONDS = 60;
const GNU_TIME = '/usr/bin/time';
const QUICK_START = 'npm ci && npm run synth';

interface Run {
  wallSeconds: number;
  cpuSeconds: number;
  peakRssMiB: number;
  load: string;
}

const load = () => loadavg().map((value) => value.toFixed(2)).join(' ');

function quickStart(ref?: string): Run {
  const work = mkdtempSync(join(tmpdir(), 'voice-agent-quick-start-'));
  try {
    const clone = join(work, 'repo');
    const cloned = spawnSync('git', ['clone', '-q', REPO_ROOT, clone], { encoding: 'utf8' });
    if (cloned.status !== 0) throw new Error(`git clone ${REPO_ROOT} failed: ${cloned.stderr}`);
    if (ref !== undefined) {
      const checkedOut = spawnSync('git', ['checkout', '-q', ref], { cwd: clone, encoding: 'utf8' });
      if (checkedOut.status !== 0) throw new Error(`git checkout ${ref} failed: ${checkedOut.stderr}`);
    }
    const before = load();
    // The last line of stderr is GNU time's: wall, user, system seconds and peak RSS in KiB.
    const run = spawnSync(GNU_TIME, ['-f', '%e %U %S %M', 'sh', '-c', QUICK_START], { cwd: clone, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (run.status !== 0) throw new Error(`${QUICK_START} failed in ${clone} (exit ${run.status}):\n${run.stderr.slice(-4000)}`);
    const [wall = NaN, user = NaN, system = NaN, rssKiB = NaN] = run.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
    return { wallSeconds: wall, cpuSeconds: user + system, peakRssMiB: rssKiB / 1024, load: `${before} → ${load()}` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (!existsSync(GNU_TIME)) {
  process.stderr.write(`bench:quick-start needs GNU time at ${GNU_TIME} (Debian package time)\n`);
  process.exit(1);
}

if (!Number.isInteger(RUNS) || RUNS < 1) {
  process.stderr.write('bench:quick-start: --runs takes a whole number of runs, 1 or more\n');
  process.exit(1);
}

process.stdout.write(`bench:quick-start on ${machine()}: \`${QUICK_START}\` in a fresh clone of ${REPO_ROOT} (committed HEAD${BASELINE !== undefined ? `, and ${BASELINE} as the baseline` : ''}), npm cache as it is\n`);
const describe = (run: Run) => `${run.wallSeconds.toFixed(1)} s wall, ${run.cpuSeconds.toFixed(1)} s CPU, peak RSS ${run.peakRssMiB.toFixed(0)} MiB (load average ${run.load})`;
const runs: Run[] = [];
const baseline: Run[] = [];
for (let index = 0; index < RUNS; index += 1) {
  if (BASELINE !== undefined) {
    const run = quickStart(BASELINE);
    baseline.push(run);
    process.stdout.write(`baseline run ${index + 1}: ${describe(run)}\n`);
  }
  const run = quickStart();
  runs.push(run);
  process.stdout.write(`run ${index + 1}: ${describe(run)}\n`);
}
const summary = (measured: Run[]) => {
  const wall = median(measured.map((run) => run.wallSeconds));
  const cpu = median(measured.map((run) => run.cpuSeconds));
  const peak = Math.max(...measured.map((run) => run.peakRssMiB));
  return { wall, cpu, peak, text: `${wall.toFixed(1)} s wall, ${cpu.toFixed(1)} s CPU; peak RSS ${peak.toFixed(0)} MiB` };
};
const head = summary(runs);
process.stdout.write(`median of ${RUNS}: ${head.text}\n`);
if (BASELINE !== undefined) {
  const base = summary(baseline);
  process.stdout.write(`baseline ${BASELINE}, median of ${RUNS}: ${base.text}; HEAD takes ${(head.wall / base.wall).toFixed(2)}× its wall time\n`);
}
process.stdout.write(head.wall < TARGET_SECONDS ? `target met: < ${TARGET_SECONDS} s\n` : `target missed: ${head.wall.toFixed(1)} s ≥ ${TARGET_SECONDS} s\n`);
process.exitCode = head.wall < TARGET_SECONDS ? 0 : 1;
