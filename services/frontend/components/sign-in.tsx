import { signInErrorMessage } from '../lib/sign-in-errors.ts';

/**
 * The only page a visitor who has not signed in can see. `errorCode` comes from the query string,
 * so it only ever picks one of our own sentences; it is never shown itself.
 */
export function SignIn({ errorCode }: { errorCode: string | undefined }) {
  return (
    <main className="centered">
      <h1>Voice console</h1>
      <p>Sign in to join a room with the voice agent, run its tools and see your history.</p>
      {errorCode !== undefined && (
        <p role="alert" className="error">
          {signInErrorMessage(errorCode)}
        </p>
      )}
      <a className="button primary" href="/api/auth/login">
        Sign in
      </a>
    </main>
  );
}
