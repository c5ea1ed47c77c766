/** A failure of one of the console's routes, with its message ready to show; `status` is undefined when nothing answered. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Calls one of the console's own routes; an error carries the route's message, ready to show. */
export async function api<T>(path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(
      path,
      body === undefined ? { cache: 'no-store', headers } : { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) },
    );
  } catch {
    throw new ApiError('The console cannot be reached; check your connection.', undefined);
  }
  const data = (await response.json().catch(() => ({}))) as T & { error?: string };
  if (response.status === 401) {
    // The session ended (signed out elsewhere, or expired): back to the sign-in page.
    window.location.assign('/');
    throw new ApiError('Your session has ended; sign in again.', 401);
  }
  if (!response.ok) throw new ApiError(data.error ?? `The console answered ${response.status}.`, response.status);
  return data;
}

/** A random id for one user action; works on plain-HTTP pages too, where crypto.randomUUID is missing. */
export function newRequestId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
