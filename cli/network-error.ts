/**
 * Why a request threw before any HTTP answer, in words, for every CLI command that calls an API:
 * `no answer within 5 s` for a timeout; otherwise what the network layer said, from the error's
 * cause (fetch wraps it) and from every error of an AggregateError (a host with several
 * addresses), e.g. `connect ECONNREFUSED 127.0.0.1:8080` or `getaddrinfo ENOTFOUND api.invalid`.
 */
export function describeNetworkError(error: unknown, timeoutMs: number): string {
  if (isTimeout(error)) return `no answer within ${Math.round(timeoutMs / 100) / 10} s`;
  const cause = error instanceof Error ? (error as Error & { cause?: unknown }).cause : undefined;
  return [...new Set(reasons(cause ?? error))].join('; ');
}

function reasons(value: unknown): string[] {
  if (value instanceof AggregateError && value.errors.length > 0) return value.errors.flatMap(reasons);
  if (value instanceof Error) {
    const code = (value as Error & { code?: unknown }).code;
    const message = value.message !== '' ? value.message : typeof code === 'string' ? code : value.name;
    return [typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message];
  }
  return [String(value)];
}

/** True when a request was given up by its AbortSignal timeout (or aborted) rather than refused. */
export function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}
