import { describe, expect, it } from 'vitest';
import { InFlight } from '../src/in-flight.ts';

describe('work in flight, for the drain', () => {
  it('is idle at once when nothing runs, and once the last piece of work ends', async () => {
    const running = new InFlight();
    expect(await running.waitUntilIdle(10)).toBe(true);
    const first = running.enter();
    const second = running.enter();
    const idle = running.waitUntilIdle(5_000);
    first();
    // Ending twice counts once: the second piece of work still runs.
    first();
    expect(running.size).toBe(1);
    second();
    expect(await idle).toBe(true);
    expect(running.size).toBe(0);
  });

  it('says false when work is still running at the limit', async () => {
    const running = new InFlight();
    const done = running.enter();
    expect(await running.waitUntilIdle(20)).toBe(false);
    done();
    expect(await running.waitUntilIdle(20)).toBe(true);
  });
});
