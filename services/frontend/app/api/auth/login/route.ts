import { NextResponse } from 'next/server';
import { IssuerDiscoveryError } from '../../../../lib/issuer-discovery-error.ts';
import { beginLogin, loginCookieName } from '../../../../lib/oidc.ts';
import { route } from '../../../../lib/route.ts';
import { SIGN_IN_TTL_SECONDS } from '../../../../lib/sign-in-state.ts';

export const dynamic = 'force-dynamic';

/**
 * Sends the browser to the identity provider, the sign-in sealed in a short-lived cookie; nothing
 * is stored on the server, and starts are limited per client address (in memory). An identity
 * provider that cannot be reached sends the browser back to the sign-in page, which says so; the
 * log names OIDC_ISSUER and why.
 */
export const GET = route(
  async (_request, { runtime }) => {
    let login: Awaited<ReturnType<typeof beginLogin>>;
    try {
      login = await beginLogin(runtime);
    } catch (error) {
      if (!(error instanceof IssuerDiscoveryError)) throw error;
      runtime.logger.error({ err: error.message }, 'sign-in cannot start');
      return NextResponse.redirect(new URL('/?signin_error=unavailable', runtime.config.PUBLIC_URL), 303);
    }
    const { authorizationUrl, loginCookieValue } = login;
    const response = NextResponse.redirect(authorizationUrl, 303);
    response.cookies.set(loginCookieName(runtime.config.PUBLIC_URL), loginCookieValue, {
      httpOnly: true,
      secure: new URL(runtime.config.PUBLIC_URL).protocol === 'https:',
      // Lax: the identity provider's redirect back is a top-level GET, which Lax cookies accompany.
      sameSite: 'lax',
      path: '/api/auth',
      maxAge: SIGN_IN_TTL_SECONDS,
    });
    return response;
  },
  { signedIn: false, signInStart: true },
);
