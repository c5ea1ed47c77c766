/** Calls one of the console's own routes; an error carries the route's message, ready to show. */
export async function api<T>(path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, body === undefined ? { cache: 'no-store' } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch {
    throw new Error('The console cannot be reached; check your connection.');
  }
  const data = (await response.json().catch(() => ({}))) as T & { error?: string };
  if (response.status === 401) {
    // The session ended (signed out elsewhere, or expired): back to the sign-in page.
    window.location.assign('/');
    throw new Error('Your session has ended; sign in again.');
  }
  if (!response.ok) throw new Error(data.error ?? `The console answered ${response.status}.`);
  return data;
}
