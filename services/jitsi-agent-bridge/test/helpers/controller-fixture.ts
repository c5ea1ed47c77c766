import { afterAll, afterEach, beforeAll } from 'vitest';
import type { TestBridge } from './bridge-harness.ts';
import { GENERATED_TENAPP, startFakeTenAgent, VOICE_AGENT_ENV, type FakeTenAgent } from './fake-ten.ts';

export interface ControllerFixture {
  /** The fake TEN agent running our generated graph, one for the whole file (set before the first test). */
  readonly ten: FakeTenAgent;
  /** Bridges a test started: closed after it. */
  readonly bridges: TestBridge[];
  /** More fake TEN agents a test started (a wedged one, say): closed after it. */
  readonly extraTens: FakeTenAgent[];
}

/**
 * The controller tests' shared setup: registers the hooks that start the fake TEN agent once per
 * file, close what each test started, and reset the fake's sessions and records between tests.
 */
export function useControllerFixture(): ControllerFixture {
  let ten: FakeTenAgent | undefined;
  const bridges: TestBridge[] = [];
  const extraTens: FakeTenAgent[] = [];
  beforeAll(async () => {
    ten = await startFakeTenAgent({ tenappDir: GENERATED_TENAPP, env: VOICE_AGENT_ENV });
  });
  afterEach(async () => {
    await Promise.all(bridges.splice(0).map((bridge) => bridge.close()));
    await Promise.all(extraTens.splice(0).map((extra) => extra.close()));
    await ten?.reset();
  });
  afterAll(() => ten?.close());
  return {
    get ten() {
      if (ten === undefined) throw new Error('the fake TEN agent starts in beforeAll: use it inside a test');
      return ten;
    },
    bridges,
    extraTens,
  };
}
