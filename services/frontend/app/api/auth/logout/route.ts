import { NextResponse } from 'next/server';
import { logoutUrl } from '../../../../lib/oidc.ts';
import { readSession, route } from '../../../../lib/route.ts';
import { sessionCookie } from '../../../../lib/session.ts';

export const dynamic = 'force-dynamic';

/**
 * Signs out: the session is deleted from Redis first (so the cookie is dead everywhere, even if
 * the browser keeps it), then the browser goes to the issuer's end-session endpoint.
 */
export const POST = route(
  async (request, { runtime, sessions }) => {
    const session = await readSession(request, runtime);
    if (session !== undefined) {
      await sessions.destroy(session.id);
      runtime.logger.info({ user: session.user.sub }, 'signed out');
    }
    const response = NextResponse.redirect(await logoutUrl(runtime.config, session?.idToken), 303);
    const cookie = sessionCookie(runtime.config.PUBLIC_URL, runtime.config.SESSION_TTL_SECONDS);
    response.cookies.set(cookie.name, '', { ...cookie.options, maxAge: 0 });
    return response;
  },
  { signedIn: false },
);
