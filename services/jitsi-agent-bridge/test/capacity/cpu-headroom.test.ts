import { describe, expect, it } from 'vitest';
import { CpuHeadroom, parseCpuMax, parseProcStat, readCpu, type CpuReading } from '../../src/browser/cpu-headroom.ts';

const PROC_STAT = ['cpu  1000 10 300 5000 50 0 20 0 0 0', 'cpu0 500 5 150 2500 25 0 10 0 0 0', 'cpu1 500 5 150 2500 25 0 10 0 0 0', 'intr 123'].join('\n');

describe('the CPU left for another room', () => {
  it('reads the machine from /proc/stat: busy is all but idle and iowait, one core per cpuN line', () => {
    expect(parseProcStat(PROC_STAT)).toEqual({ busySeconds: (1000 + 10 + 300 + 20) / 100, cores: 2, source: 'machine' });
    expect(parseProcStat('intr 1')).toBeUndefined();
    expect(parseProcStat(undefined)).toBeUndefined();
  });

  it('prefers a cgroup v2 quota, in cores, with the cgroup’s own usage', () => {
    expect(parseCpuMax('150000 100000\n')).toBe(1.5);
    expect(parseCpuMax('max 100000')).toBeUndefined();
    const files: Record<string, string> = { '/sys/fs/cgroup/cpu.max': '200000 100000', '/sys/fs/cgroup/cpu.stat': 'usage_usec 4500000\nuser_usec 1\n', '/proc/stat': PROC_STAT };
    expect(readCpu((path) => files[path])).toEqual({ busySeconds: 4.5, cores: 2, source: 'cgroup' });
    // No quota: the whole machine.
    expect(readCpu((path) => ({ ...files, '/sys/fs/cgroup/cpu.max': 'max 100000' })[path])).toMatchObject({ source: 'machine', cores: 2 });
  });

  it('reads this machine', () => {
    const reading = readCpu();
    expect(reading?.cores).toBeGreaterThan(0);
    expect(reading?.busySeconds).toBeGreaterThan(0);
  });

  it('says how many cores were free over the window, sliding, and nothing before two readings', () => {
    let now = 0;
    let busy = 0;
    const headroom = new CpuHeadroom({ read: (): CpuReading => ({ busySeconds: busy, cores: 2, source: 'machine' }), windowMs: 5_000, now: () => now });
    headroom.sample();
    expect(headroom.freeCores()).toBeUndefined();
    // 1.5 cores busy for 5 s: half a core free.
    for (let second = 1; second <= 5; second += 1) {
      now = second * 1000;
      busy += 1.5;
      headroom.sample();
    }
    expect(headroom.freeCores()).toBeCloseTo(0.5, 6);
    // Then 0.5 cores busy for 5 s: the old load has slid out of the window.
    for (let second = 6; second <= 10; second += 1) {
      now = second * 1000;
      busy += 0.5;
      headroom.sample();
    }
    expect(headroom.freeCores()).toBeCloseTo(1.5, 6);
    // More busy than cores (a reading's rounding) is no free core, not a negative one.
    now += 1000;
    busy += 3;
    headroom.sample();
    expect(headroom.freeCores()).toBeGreaterThanOrEqual(0);
  });
});
