/** Runs once when the server starts (Next.js instrumentation); the work is Node-only. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { checkAtStart } = await import('./lib/startup.ts');
    await checkAtStart();
  }
}
