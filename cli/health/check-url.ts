import { describeNetworkError } from '../network-error.ts';

/** The outcome of one GET of a health URL. */
export interface CheckResult {
  readonly ok: boolean;
  readonly httpStatus?: number;
  readonly latencyMs: number;
  /** Why the check failed without an HTTP answer: `no answer within 5 s`, `connect ECONNREFUSED 10.0.0.5:8080`, … */
  readonly error?: string;
}

/** One GET; healthy on a 2xx answer within `timeoutMs`. */
export async function checkUrl(url: string, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { 'User-Agent': 'voice-agent-gitops health' } });
    await response.body?.cancel().catch(() => undefined);
    return { ok: response.status >= 200 && response.status < 300, httpStatus: response.status, latencyMs: latency() };
  } catch (error) {
    return { ok: false, latencyMs: latency(), error: describeNetworkError(error, timeoutMs) };
  }
}

/** How a check reads in a table: `200 ok`, `503 failing`, `no answer within 5 s`. */
export function describeCheck(result: CheckResult): string {
  if (result.httpStatus !== undefined) return `${result.httpStatus} ${result.ok ? 'ok' : 'failing'}`;
  return result.error ?? 'failing';
}
