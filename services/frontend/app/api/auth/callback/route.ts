import { NextResponse } from 'next/server';
import { consoleMetrics } from '../../../../lib/metrics.ts';
import { completeLogin, LoginError, loginCookieName } from '../../../../lib/oidc.ts';
import { route } from '../../../../lib/route.ts';
import { sessionCookie } from '../../../../lib/session.ts';

export const dynamic = 'force-dynamic';

/**
 * The identity provider's redirect back: exchanges the code, opens a session, goes to the console.
 * A sign-in that fails goes back to the sign-in page with one of our own codes, never with text
 * from the query (the provider's words go to the log).
 */
export const GET = route(
  async (request, { runtime, sessions }) => {
    const { config } = runtime;
    const loginCookie = loginCookieName(config.PUBLIC_URL);
    let login: Awaited<ReturnType<typeof completeLogin>>;
    try {
      login = await completeLogin(runtime, request.nextUrl.search, request.cookies.get(loginCookie)?.value);
    } catch (error) {
      const code = error instanceof LoginError ? error.code : 'failed';
      runtime.logger.warn({ err: (error as Error).message, code }, 'sign-in failed');
      consoleMetrics().signIns.inc({ outcome: code });
      const failed = NextResponse.redirect(new URL(`/?signin_error=${code}`, config.PUBLIC_URL), 303);
      failed.cookies.delete({ name: loginCookie, path: '/api/auth' });
      return failed;
    }
    const { cookieValue } = await sessions.create(login.user, login.idToken).catch((error: unknown) => {
      consoleMetrics().signIns.inc({ outcome: 'session_store' });
      throw error;
    });
    consoleMetrics().signIns.inc({ outcome: 'ok' });
    runtime.logger.info({ user: login.user.sub }, 'signed in');
    const response = NextResponse.redirect(new URL('/', config.PUBLIC_URL), 303);
    const cookie = sessionCookie(config.PUBLIC_URL, config.SESSION_TTL_SECONDS);
    response.cookies.set(cookie.name, cookieValue, cookie.options);
    response.cookies.delete({ name: loginCookie, path: '/api/auth' });
    return response;
  },
  { signedIn: false },
);
