/**
 * Why a sign-in did not complete, as the callback tells the sign-in page (`/?signin_error=<code>`).
 * The page shows only these sentences; anything else in the query shows the generic one, and the
 * identity provider's own text goes only to the log.
 */
export const SIGN_IN_ERRORS = {
  refused: 'The identity provider did not sign you in. Try again, or ask your administrator for access.',
  other_browser: 'This sign-in was started in another browser or tab. Start again here.',
  expired: 'This sign-in took too long. Start again.',
  failed: 'The identity provider could not confirm who you are. Try again.',
  unavailable: 'Sign-in is unavailable: the console cannot reach its identity provider. Try again in a few minutes; its operators have been told why in its log.',
} as const;

export type SignInErrorCode = keyof typeof SIGN_IN_ERRORS;

export const GENERIC_SIGN_IN_ERROR = 'Sign-in did not complete. Try again.';

export function signInErrorMessage(code: string): string {
  return Object.hasOwn(SIGN_IN_ERRORS, code) ? SIGN_IN_ERRORS[code as SignInErrorCode] : GENERIC_SIGN_IN_ERROR;
}
