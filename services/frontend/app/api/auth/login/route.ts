import { NextResponse } from 'next/server';
import { beginLogin, LOGIN_TTL_SECONDS, loginCookieName } from '../../../../lib/oidc.ts';
import { route } from '../../../../lib/route.ts';

export const dynamic = 'force-dynamic';

/** Sends the browser to the identity provider, remembering the sign-in in a short-lived cookie. */
export const GET = route(
  async (_request, { runtime }) => {
    const { authorizationUrl, state } = await beginLogin(runtime);
    const response = NextResponse.redirect(authorizationUrl, 303);
    response.cookies.set(loginCookieName(runtime.config.PUBLIC_URL), state, {
      httpOnly: true,
      secure: new URL(runtime.config.PUBLIC_URL).protocol === 'https:',
      // Lax: the identity provider's redirect back is a top-level GET, which Lax cookies accompany.
      sameSite: 'lax',
      path: '/api/auth',
      maxAge: LOGIN_TTL_SECONDS,
    });
    return response;
  },
  { signedIn: false },
);
