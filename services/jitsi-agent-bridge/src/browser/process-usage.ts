import { readdir, readFile } from 'node:fs/promises';

/** Memory and CPU of one Chromium: its browser process and every descendant (renderers, GPU, utilities). */
export interface ProcessUsage {
  readonly pids: readonly number[];
  /** Proportional set size, summed: shared pages split among the processes sharing them. */
  readonly pssBytes: number;
  /** User + system CPU time since each process started. */
  readonly cpuSeconds: number;
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat's times (100 on every mainstream kernel). */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Reads /proc for the Chromium whose browser process carries `marker` on its command line.
 * Undefined where there is no /proc (not Linux) or the process is gone.
 */
export function chromiumUsage(marker: string): Promise<ProcessUsage | undefined> {
  return processTreeUsage(({ args }) => args.includes(marker));
}

/** A process as /proc shows it, for picking the root of a tree. */
export interface ProcessEntry {
  readonly pid: number;
  readonly parent: number;
  readonly args: readonly string[];
}

/** Memory and CPU of the process `isRoot` picks (the last one if several) and all its descendants. */
export async function processTreeUsage(isRoot: (entry: ProcessEntry) => boolean): Promise<ProcessUsage | undefined> {
  let entries: string[];
  try {
    entries = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const processes = new Map<number, { parent: number; cpuTicks: number }>();
  let root: number | undefined;
  for (const name of entries) {
    const pid = Number(name);
    const [stat, cmdline] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''), readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')]);
    // Fields after the parenthesised command name: state, ppid, …, utime (14th), stime (15th).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.length < 13) continue;
    const parent = Number(fields[1]);
    processes.set(pid, { parent, cpuTicks: Number(fields[11]) + Number(fields[12]) });
    if (isRoot({ pid, parent, args: cmdline.split('\0') })) root = pid;
  }
  if (root === undefined) return undefined;
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, { parent }] of processes) {
      if (!tree.has(pid) && tree.has(parent)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  let pssKiB = 0;
  let ticks = 0;
  for (const pid of tree) {
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
    pssKiB += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
    ticks += processes.get(pid)?.cpuTicks ?? 0;
  }
  return { pids: [...tree], pssBytes: pssKiB * 1024, cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND };
}
