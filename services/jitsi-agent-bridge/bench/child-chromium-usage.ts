import { readdir, readFile } from 'node:fs/promises';
import type { ProcessUsage } from '../src/browser/process-usage.ts';

/**
 * CPU and PSS of a Chromium this process launched, found by a switch on its command line. The
 * bot's joiner has its own marker (joiner.usage()); the humans' browser is launched by the test
 * harness with fixed switches, and Chromium hands some of them (the fake-audio file among them)
 * on to its utility processes, so the browser process is told apart as the one whose parent is
 * this Node process.
 */
export async function childChromiumUsage(switchPrefix: string): Promise<ProcessUsage | undefined> {
  const names = (await readdir('/proc').catch(() => [] as string[])).filter((name) => /^\d+$/.test(name));
  const processes = new Map<number, { parent: number; ticks: number }>();
  let root: number | undefined;
  for (const name of names) {
    const pid = Number(name);
    const [stat, cmdline] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''), readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')]);
    // After the parenthesised command name: state, ppid, …, utime (14th field), stime (15th).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.length < 13) continue;
    const parent = Number(fields[1]);
    processes.set(pid, { parent, ticks: Number(fields[11]) + Number(fields[12]) });
    if (parent === process.pid && cmdline.split('\0').some((arg) => arg.startsWith(switchPrefix))) root = pid;
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
    ticks += processes.get(pid)?.ticks ?? 0;
  }
  // /proc/<pid>/stat counts in USER_HZ, 100 on every mainstream Linux.
  return { pids: [...tree], pssBytes: pssKiB * 1024, cpuSeconds: ticks / 100 };
}
