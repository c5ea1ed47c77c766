import * as client from 'openid-client';
import type { Config } from './config.ts';
import { describeCause, IssuerDiscoveryError } from './issuer-discovery-error.ts';
import type { Runtime } from './runtime.ts';
import type { SessionUser } from './session.ts';
import type { SignInErrorCode } from './sign-in-errors.ts';
import { openSignInState, sealSignInState } from './sign-in-state.ts';

const holder = globalThis as typeof globalThis & { __consoleOidc?: Promise<client.Configuration> };

/**
 * The issuer's configuration, discovered once per process (retried after a failure). A failure is
 * an IssuerDiscoveryError, which names OIDC_ISSUER and the cause.
 */
export function issuer(config: Config): Promise<client.Configuration> {
  holder.__consoleOidc ??= client
    .discovery(
      new URL(config.OIDC_ISSUER),
      config.OIDC_CLIENT_ID,
      undefined,
      client.ClientSecretBasic(config.OIDC_CLIENT_SECRET),
      // Plain-HTTP issuers exist only on a developer's machine or in tests.
      new URL(config.OIDC_ISSUER).protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined,
    )
    .catch((error: unknown) => {
      holder.__consoleOidc = undefined;
      throw new IssuerDiscoveryError(config.OIDC_ISSUER, error);
    });
  return holder.__consoleOidc;
}

/** The cookie binding a sign-in in progress to the browser that started it. */
export function loginCookieName(publicUrl: string): string {
  return new URL(publicUrl).protocol === 'https:' ? '__Secure-console-login' : 'console-login';
}

export function callbackUrl(config: Config): string {
  return new URL('/api/auth/callback', config.PUBLIC_URL).href;
}

/**
 * Starts a sign-in: PKCE verifier, state and nonce are sealed into the login cookie (see
 * sealSignInState), so the callback only completes in the browser that started it and an
 * anonymous start writes nothing on the server.
 */
export async function beginLogin(runtime: Runtime): Promise<{ authorizationUrl: URL; loginCookieValue: string }> {
  const oidc = await issuer(runtime.config);
  const signIn = { verifier: client.randomPKCECodeVerifier(), state: client.randomState(), nonce: client.randomNonce() };
  const authorizationUrl = client.buildAuthorizationUrl(oidc, {
    redirect_uri: callbackUrl(runtime.config),
    scope: runtime.config.OIDC_SCOPES,
    code_challenge: await client.calculatePKCECodeChallenge(signIn.verifier),
    code_challenge_method: 'S256',
    state: signIn.state,
    nonce: signIn.nonce,
  });
  return { authorizationUrl, loginCookieValue: await sealSignInState(runtime.config.SESSION_SECRET, signIn) };
}

/** A sign-in that did not complete: a code the sign-in page turns into its own sentence, and details for the log. */
export class LoginError extends Error {
  constructor(
    readonly code: SignInErrorCode,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(detail, options);
    this.name = 'LoginError';
  }
}

/** The identity provider's own words, shortened, for the log only. */
const forLog = (text: string | null) => (text ?? '').slice(0, 200);

/**
 * Completes a sign-in from the issuer's redirect. `search` is the callback's query string; the
 * URL is rebuilt on PUBLIC_URL because behind a proxy the request's own URL names an internal host.
 */
export async function completeLogin(runtime: Runtime, search: string, loginCookieValue: string | undefined): Promise<{ user: SessionUser; idToken?: string }> {
  const params = new URLSearchParams(search);
  if (params.has('error')) {
    throw new LoginError('refused', `the identity provider refused the sign-in: ${forLog(params.get('error'))}: ${forLog(params.get('error_description'))}`);
  }
  if (loginCookieValue === undefined) throw new LoginError('other_browser', 'no login cookie came back with the callback');
  const signIn = await openSignInState(runtime.config.SESSION_SECRET, loginCookieValue);
  if (signIn === undefined) throw new LoginError('expired', 'the login cookie is expired, altered or sealed with another secret');
  if (params.get('state') !== signIn.state) throw new LoginError('other_browser', 'the callback state does not match the login cookie');
  let oidc: client.Configuration;
  try {
    oidc = await issuer(runtime.config);
  } catch (error) {
    throw new LoginError('unavailable', (error as Error).message, { cause: error });
  }
  const currentUrl = new URL(`${callbackUrl(runtime.config)}?${params.toString()}`);
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    tokens = await client.authorizationCodeGrant(oidc, currentUrl, { pkceCodeVerifier: signIn.verifier, expectedState: signIn.state, expectedNonce: signIn.nonce, idTokenExpected: true });
  } catch (error) {
    throw new LoginError('failed', `the code exchange with the identity provider at OIDC_ISSUER=${runtime.config.OIDC_ISSUER} failed: ${describeCause(error)}`, { cause: error });
  }
  const claims = tokens.claims();
  if (claims === undefined) throw new LoginError('failed', 'the identity provider sent no ID token');
  const name = [claims['name'], claims['preferred_username'], claims['email'], claims.sub].find((value): value is string => typeof value === 'string' && value !== '');
  return {
    user: { sub: claims.sub, name: name ?? claims.sub, ...(typeof claims['email'] === 'string' ? { email: claims['email'] } : {}) },
    ...(tokens.id_token !== undefined ? { idToken: tokens.id_token } : {}),
  };
}

/** Where to send the browser after signing out: the issuer's end-session endpoint when it has one. */
export async function logoutUrl(config: Config, idToken: string | undefined): Promise<string> {
  try {
    const oidc = await issuer(config);
    if (oidc.serverMetadata().end_session_endpoint === undefined) return config.PUBLIC_URL;
    return client.buildEndSessionUrl(oidc, {
      post_logout_redirect_uri: new URL('/', config.PUBLIC_URL).href,
      ...(idToken !== undefined ? { id_token_hint: idToken } : { client_id: config.OIDC_CLIENT_ID }),
    }).href;
  } catch {
    // The session is already gone here; an unreachable issuer must not keep the user signed in.
    return config.PUBLIC_URL;
  }
}
