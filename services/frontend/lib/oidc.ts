import * as client from 'openid-client';
import type { Config } from './config.ts';
import type { Runtime } from './runtime.ts';
import type { SessionUser } from './session.ts';

/** How long a sign-in may take between leaving for the issuer and coming back. */
export const LOGIN_TTL_SECONDS = 10 * 60;
const LOGIN_PREFIX = 'console:login:';

const holder = globalThis as typeof globalThis & { __consoleOidc?: Promise<client.Configuration> };

/** The issuer's configuration, discovered once per process (retried after a failure). */
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
      throw error;
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
 * Starts a sign-in: PKCE verifier, state and nonce are kept in Redis under the state, which also
 * goes into a short-lived cookie so the callback only completes in the browser that started it.
 */
export async function beginLogin(runtime: Runtime): Promise<{ authorizationUrl: URL; state: string }> {
  const oidc = await issuer(runtime.config);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  await runtime.redis.set(LOGIN_PREFIX + state, JSON.stringify({ verifier, nonce }), 'EX', LOGIN_TTL_SECONDS);
  const authorizationUrl = client.buildAuthorizationUrl(oidc, {
    redirect_uri: callbackUrl(runtime.config),
    scope: runtime.config.OIDC_SCOPES,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { authorizationUrl, state };
}

export class LoginError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoginError';
  }
}

/**
 * Completes a sign-in from the issuer's redirect. `search` is the callback's query string; the
 * URL is rebuilt on PUBLIC_URL because behind a proxy the request's own URL names an internal host.
 */
export async function completeLogin(runtime: Runtime, search: string, cookieState: string | undefined): Promise<{ user: SessionUser; idToken?: string }> {
  const params = new URLSearchParams(search);
  const state = params.get('state');
  if (params.has('error')) throw new LoginError(`the identity provider refused the sign-in (${params.get('error')})`);
  if (state === null || cookieState === undefined || state !== cookieState) throw new LoginError('this sign-in was not started in this browser; start again');
  const stored = await runtime.redis.getdel(LOGIN_PREFIX + state);
  if (stored === null) throw new LoginError('this sign-in has expired or was already used; start again');
  const { verifier, nonce } = JSON.parse(stored) as { verifier: string; nonce: string };
  const oidc = await issuer(runtime.config);
  const currentUrl = new URL(`${callbackUrl(runtime.config)}?${params.toString()}`);
  const tokens = await client.authorizationCodeGrant(oidc, currentUrl, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
  const claims = tokens.claims();
  if (claims === undefined) throw new LoginError('the identity provider sent no ID token');
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
