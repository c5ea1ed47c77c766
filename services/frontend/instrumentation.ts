/** Runs once when the server starts (Next.js instrumentation); the work is Node-only. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { checkAtStart } = await import('./lib/startup.ts');
    await checkAtStart();
    // checkAtStart has stopped the server on a configuration error, so this one loads.
    const [{ loadConfig }, { startupLogger }, { serveMetrics }] = await Promise.all([import('./lib/config.ts'), import('./lib/logger.ts'), import('./lib/metrics-server.ts')]);
    // The host the console's own server binds (Next.js's standalone server.js reads HOSTNAME).
    serveMetrics(loadConfig().METRICS_PORT, process.env.HOSTNAME ?? '::', startupLogger());
  }
}
