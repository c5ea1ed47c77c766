import { hkdfSync } from 'node:crypto';
import { EncryptJWT, jwtDecrypt } from 'jose';

/** What a sign-in in progress must remember between leaving for the issuer and coming back. */
export interface SignInState {
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
}

/** How long a sign-in may take between leaving for the issuer and coming back. */
export const SIGN_IN_TTL_SECONDS = 10 * 60;

/** A key for this purpose only, derived from the session secret (HKDF-SHA256). */
function cookieKey(sessionSecret: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', sessionSecret, 'voice-console', 'sign-in state cookie v1', 32));
}

/**
 * Seals a sign-in in progress into the login cookie's value: an encrypted JWT (JWE, dir +
 * A256GCM), so the browser carries it and the server keeps nothing. It is one-time by
 * construction: the issuer redeems an authorization code once, and the verifier inside is useless
 * without that code.
 */
export async function sealSignInState(sessionSecret: string, signIn: SignInState): Promise<string> {
  return new EncryptJWT({ v: signIn.verifier, s: signIn.state, n: signIn.nonce })
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
    .setIssuedAt()
    .setExpirationTime(`${SIGN_IN_TTL_SECONDS}s`)
    .encrypt(cookieKey(sessionSecret));
}

/** The sign-in sealed in a login cookie; undefined when it is forged, altered or expired. */
export async function openSignInState(sessionSecret: string, sealed: string): Promise<SignInState | undefined> {
  try {
    const { payload } = await jwtDecrypt(sealed, cookieKey(sessionSecret), { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
    const { v, s, n } = payload;
    return typeof v === 'string' && typeof s === 'string' && typeof n === 'string' ? { verifier: v, state: s, nonce: n } : undefined;
  } catch {
    return undefined;
  }
}
