import { cookies } from 'next/headers';
import { Console } from '../components/console.tsx';
import { SignIn } from '../components/sign-in.tsx';
import { REDIS_UNAVAILABLE } from '../lib/dependency-unavailable.ts';
import { startupLogger } from '../lib/logger.ts';
import { getRuntime } from '../lib/runtime.ts';
import { sessionCookie, type SessionStore } from '../lib/session.ts';
import { sessionStore } from '../lib/route.ts';

export const dynamic = 'force-dynamic';

interface PageProps {
  readonly searchParams: Promise<Record<string, string | string[] | undefined>>;
}

/** The console for a signed-in user; the sign-in page for everyone else. */
export default async function Home({ searchParams }: PageProps) {
  let runtime: Awaited<ReturnType<typeof getRuntime>>;
  try {
    runtime = await getRuntime();
  } catch (error) {
    startupLogger().error({ err: (error as Error).message }, 'cannot start');
    return (
      <main className="centered">
        <h1>Voice console</h1>
        <p role="alert" className="error">The console is not ready. Its operators have been told why in its log; try again in a minute.</p>
      </main>
    );
  }
  const { config } = runtime;
  const { name } = sessionCookie(config.PUBLIC_URL, config.SESSION_TTL_SECONDS);
  let session: Awaited<ReturnType<SessionStore['read']>>;
  try {
    session = await sessionStore(runtime).read((await cookies()).get(name)?.value);
  } catch (error) {
    runtime.logger.warn({ err: (error as Error).message }, 'cannot read the session');
    return (
      <main className="centered">
        <h1>Voice console</h1>
        <p role="alert" className="error">{REDIS_UNAVAILABLE}</p>
      </main>
    );
  }
  if (session === undefined) {
    const errorCode = (await searchParams)['signin_error'];
    return <SignIn errorCode={typeof errorCode === 'string' ? errorCode : undefined} />;
  }
  const jitsi = new URL(config.JITSI_PUBLIC_URL);
  return (
    <Console
      user={{ name: session.user.name, ...(session.user.email !== undefined ? { email: session.user.email } : {}) }}
      jitsi={{ scriptUrl: new URL('/external_api.js', jitsi).href, domain: jitsi.host, noSsl: jitsi.protocol === 'http:' }}
    />
  );
}
