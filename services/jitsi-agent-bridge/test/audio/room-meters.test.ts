import { describe, expect, it } from 'vitest';
import { METER_WINDOW_MS, RoomMeters, roomIsHealthy } from '../../src/browser/room-meters.ts';

/** A room fed for `seconds`: frames at `fps`, page reports twice a second with a clock at `ratio`, in 10 ms steps. */
function feed(seconds: number, { fps = 50, ratio = 1 } = {}) {
  let now = 0;
  const meters = new RoomMeters(() => now);
  let nextFrame = 0;
  for (let t = 0; t <= seconds * 1000; t += 1) {
    now = t;
    if (t >= nextFrame) {
      meters.frame();
      nextFrame += 1000 / fps;
    }
    if (t % 500 === 0) {
      // Headless Chromium's audio callback runs every 10 ms: both times come in 10 ms steps.
      const step = Math.floor(t / 10) * 10 + 3;
      meters.report({ contextTime: (step * ratio) / 1000, performanceTime: step, playback: { queuedMs: 12, underruns: 1, trimmedMs: 5 } });
    }
  }
  return meters;
}

describe('room audio meters', () => {
  it('measure 50 frames a second and a clock at 1 for a healthy room', () => {
    const meters = feed(12);
    const stats = meters.stats({ queuedMs: 100, trimmedMs: 2 });
    expect(stats.framesPerSecond).toBeCloseTo(50, 0);
    expect(Math.abs(stats.audioClockRatio - 1)).toBeLessThan(0.0002);
    expect(stats).toMatchObject({ queuedPlayoutMs: 112, underruns: 1, trimmedPlayoutMs: 7 });
    expect(meters.settled()).toBe(true);
    expect(roomIsHealthy(stats, true)).toBe(true);
  });

  it('see a page whose audio clock runs 0.3 % slow', () => {
    const stats = feed(12, { ratio: 0.997 }).stats({ queuedMs: 0, trimmedMs: 0 });
    expect(stats.audioClockRatio).toBeCloseTo(0.997, 3);
    expect(roomIsHealthy(stats, true)).toBe(false);
  });

  it('see frames lost (49 a second)', () => {
    const stats = feed(12, { fps: 49 }).stats({ queuedMs: 0, trimmedMs: 0 });
    expect(stats.framesPerSecond).toBeCloseTo(49, 0);
    expect(roomIsHealthy(stats, true)).toBe(false);
  });

  it('do not judge a room before a full window', () => {
    const meters = feed(METER_WINDOW_MS / 1000 / 2, { fps: 40 });
    expect(meters.settled()).toBe(false);
    expect(roomIsHealthy(meters.stats({ queuedMs: 0, trimmedMs: 0 }), meters.settled())).toBe(true);
  });

  it('report nothing delivered as 0 frames a second and an unmeasured clock as 1', () => {
    const stats = new RoomMeters(() => 0).stats({ queuedMs: 0, trimmedMs: 0 });
    expect(stats).toEqual({ framesPerSecond: 0, audioClockRatio: 1, queuedPlayoutMs: 0, underruns: 0, trimmedPlayoutMs: 0 });
  });
});
