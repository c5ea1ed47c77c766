/** The only page a visitor who has not signed in can see. */
export function SignIn({ error }: { error: string | undefined }) {
  return (
    <main className="centered">
      <h1>Voice console</h1>
      <p>Sign in to join a room with the voice agent, run its tools and see your history.</p>
      {error !== undefined && (
        <p role="alert" className="error">
          Sign-in failed: {error}.
        </p>
      )}
      <a className="button primary" href="/api/auth/login">
        Sign in
      </a>
    </main>
  );
}
