export const dynamic = 'force-dynamic';

/** Liveness: the process answers. No dependency is called and nothing is revealed. */
export function GET(): Response {
  return Response.json({ status: 'ok' });
}
