/** How long a test waits for something that should happen (a bound for a stuck test on a loaded machine, not a timing claim). */
export const EVENT_WAIT_MS = 30_000;

/** A test's own bound where it runs TEN workers through several steps on a loaded machine. */
export const SLOW_TEST_MS = 120_000;

/**
 * Waits for a condition to hold, checking every 20 ms, and fails with `what` and the last
 * value seen when it does not within `timeoutMs` (a bound for a stuck test, not a timing claim).
 */
export async function waitUntil<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = EVENT_WAIT_MS, describe: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      const detail = describe();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail === '' ? '' : `: ${detail}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
