import { readFileSync } from 'node:fs';

/**
 * How much CPU is left where the bot runs, so the joiner refuses a room before the rooms it holds
 * lose audio instead of after. A room's meters (room-meters.ts) only fall once the machine is
 * already short: measured on 2 cores, every room kept 50 frames/s up to the last one admitted,
 * and the next one took them all under 49.5/s. Each room costs about 0.14 of a core in the bot's
 * Chromium (npm run bench:bridge), so the joiner asks for that much free, with a margin, first.
 *
 * Where the CPU comes from:
 * - a cgroup v2 CPU quota (`cpu.max`, what a Kubernetes limit or `docker run --cpus` sets): the
 *   quota is what the container may use, and `cpu.stat` says how much of it it used;
 * - otherwise the whole machine (`/proc/stat`): every process on it competes with the bot.
 */

export interface CpuReading {
  /** CPU time used so far, in seconds (the cgroup's, or every core's busy time). */
  readonly busySeconds: number;
  /** Cores available: the quota in cores, or the machine's core count. */
  readonly cores: number;
  readonly source: 'cgroup' | 'machine';
}

/** /proc/stat counts in USER_HZ, 100 on every mainstream Linux. */
const USER_HZ = 100;

/** Reads the CPU the bot may use and how much is used; undefined where neither source exists. */
export function readCpu(read: (path: string) => string | undefined = readOrUndefined): CpuReading | undefined {
  const quota = parseCpuMax(read('/sys/fs/cgroup/cpu.max'));
  const usage = read('/sys/fs/cgroup/cpu.stat');
  if (quota !== undefined && usage !== undefined) {
    const micros = /^usage_usec (\d+)$/m.exec(usage)?.[1];
    if (micros !== undefined) return { busySeconds: Number(micros) / 1e6, cores: quota, source: 'cgroup' };
  }
  return parseProcStat(read('/proc/stat'));
}

/** `cpu.max` is "<quota> <period>" in µs, or "max <period>" without a quota. */
export function parseCpuMax(text: string | undefined): number | undefined {
  const [quota, period] = (text ?? '').trim().split(/\s+/);
  if (quota === undefined || quota === 'max' || period === undefined) return undefined;
  const cores = Number(quota) / Number(period);
  return Number.isFinite(cores) && cores > 0 ? cores : undefined;
}

/** The `cpu` line: user nice system idle iowait irq softirq steal …; busy is all but idle and iowait. */
export function parseProcStat(text: string | undefined): CpuReading | undefined {
  const lines = (text ?? '').split('\n');
  const total = lines.find((line) => line.startsWith('cpu '));
  const cores = lines.filter((line) => /^cpu\d+ /.test(line)).length;
  if (total === undefined || cores === 0) return undefined;
  const ticks = total.trim().split(/\s+/).slice(1, 9).map(Number);
  if (ticks.length < 5 || ticks.some((value) => !Number.isFinite(value))) return undefined;
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  const busy = ticks.reduce((sum, value) => sum + value, 0) - idle;
  return { busySeconds: busy / USER_HZ, cores, source: 'machine' };
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export interface CpuHeadroomOptions {
  /** @default readCpu */
  readonly read?: () => CpuReading | undefined;
  /** Free CPU is judged over this long. @default 5_000 */
  readonly windowMs?: number;
  /** @default performance.now */
  readonly now?: () => number;
}

/** Samples the CPU reading over a sliding window and says how many cores were free in it. */
export class CpuHeadroom {
  private readonly samples: Array<{ at: number; reading: CpuReading }> = [];
  private readonly read: () => CpuReading | undefined;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(options: CpuHeadroomOptions = {}) {
    this.read = options.read ?? (() => readCpu());
    this.windowMs = options.windowMs ?? 5_000;
    this.now = options.now ?? (() => performance.now());
  }

  /** Takes one reading (the joiner does this every second while it holds rooms). */
  sample(): void {
    const reading = this.read();
    if (reading === undefined) return;
    const at = this.now();
    this.samples.push({ at, reading });
    // Keep one sample at or before the window's start, so the window is always spanned whole.
    while (this.samples.length > 2 && (this.samples[1]?.at ?? at) <= at - this.windowMs) this.samples.shift();
  }

  /** Cores free over the window (the last two readings at least), or undefined before there are two. */
  freeCores(): number | undefined {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (first === undefined || last === undefined || last.at <= first.at) return undefined;
    const seconds = (last.at - first.at) / 1000;
    const used = (last.reading.busySeconds - first.reading.busySeconds) / seconds;
    return Math.max(0, last.reading.cores - used);
  }
}
