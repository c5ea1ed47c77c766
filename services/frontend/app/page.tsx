import { cookies } from 'next/headers';
import { Console } from '../components/console.tsx';
import { SignIn } from '../components/sign-in.tsx';
import { getRuntime } from '../lib/runtime.ts';
import { sessionCookie } from '../lib/session.ts';
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
    console.error(`console: cannot start: ${(error as Error).message}`);
    return (
      <main className="centered">
        <h1>Voice console</h1>
        <p role="alert" className="error">The console is not ready. Its operators have been told why in its log; try again in a minute.</p>
      </main>
    );
  }
  const { config } = runtime;
  const { name } = sessionCookie(config.PUBLIC_URL, config.SESSION_TTL_SECONDS);
  const session = await sessionStore(runtime).read((await cookies()).get(name)?.value);
  if (session === undefined) {
    const error = (await searchParams)['signin_error'];
    return <SignIn error={typeof error === 'string' ? error : undefined} />;
  }
  const jitsi = new URL(config.JITSI_PUBLIC_URL);
  return (
    <Console
      user={{ name: session.user.name, ...(session.user.email !== undefined ? { email: session.user.email } : {}) }}
      jitsi={{ scriptUrl: new URL('/external_api.js', jitsi).href, domain: jitsi.host, noSsl: jitsi.protocol === 'http:' }}
    />
  );
}
