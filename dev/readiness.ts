/** What a process must answer once it is ready. */
export interface Readiness {
  readonly url: string;
  /** `ok`: a 2xx answer; `any`: any HTTP answer (a stand-in that has no health route). */
  readonly answer: 'ok' | 'any';
  readonly timeoutSeconds: number;
}

const POLL_MS = 250;

/**
 * Polls the readiness URL until it answers as required. Gives up with a sentence when the time is
 * up, and at once when `gone()` says the process is no more (it exited, or everything is stopping).
 */
export async function waitUntilReady(readiness: Readiness, gone: () => string | undefined): Promise<void> {
  const deadline = Date.now() + readiness.timeoutSeconds * 1000;
  for (;;) {
    const reason = gone();
    if (reason !== undefined) throw new Error(reason);
    // next dev compiles a route on its first request, which can take half a minute on two cores.
    const status = await fetch(readiness.url, { signal: AbortSignal.timeout(30_000) }).then(
      async (response) => {
        await response.body?.cancel();
        return response.status;
      },
      () => undefined,
    );
    if (status !== undefined && (readiness.answer === 'any' || (status >= 200 && status < 300))) return;
    if (Date.now() > deadline) {
      throw new Error(`did not answer ${readiness.url} ${readiness.answer === 'ok' ? 'with 2xx ' : ''}within ${readiness.timeoutSeconds} s${status === undefined ? '' : ` (last answer: ${status})`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
