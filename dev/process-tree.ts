import { readdirSync, readFileSync } from 'node:fs';

/** A process as /proc shows it (Linux). */
export interface ProcessEntry {
  readonly pid: number;
  readonly parent: number;
  readonly group: number;
  /** Clock ticks after boot: with the pid, tells a process from a later one given the same pid. */
  readonly startTime: number;
  readonly zombie: boolean;
}

/** Every process of the machine; empty where there is no /proc. */
export function processes(): ProcessEntry[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const entries: ProcessEntry[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readEntry(Number(name));
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

function readEntry(pid: number): ProcessEntry | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // it ended meanwhile
  }
  // "pid (name) state ppid pgrp …": the name may hold spaces and parentheses, so read after the last ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { pid, parent: Number(fields[1]), group: Number(fields[2]), startTime: Number(fields[19]), zombie: fields[0] === 'Z' };
}

/**
 * Every living descendant of `pid`, however deep, whatever its process group: Playwright starts
 * Chromium in a group of its own, and TEN workers have theirs.
 */
export function descendantsOf(pid: number): ProcessEntry[] {
  const all = processes().filter((entry) => !entry.zombie);
  const found: ProcessEntry[] = [];
  const parents = [pid];
  while (parents.length > 0) {
    const parent = parents.pop() as number;
    for (const child of all.filter((entry) => entry.parent === parent)) {
      found.push(child);
      parents.push(child.pid);
    }
  }
  return found;
}

/** Whether any process of the group still runs (zombies, which only wait to be reaped, do not count). */
export function groupRuns(group: number): boolean {
  return processes().some((entry) => entry.group === group && !entry.zombie);
}

/** Whether this very process (not a later one with its pid) still runs. */
export function stillRuns(entry: ProcessEntry): boolean {
  const now = readEntry(entry.pid);
  return now !== undefined && !now.zombie && now.startTime === entry.startTime;
}
