import type { Bridge } from './app.ts';

/**
 * SIGTERM (and SIGINT): drain, then close and exit: 0 when every room ended within
 * DRAIN_TIMEOUT_SECONDS, 1 when some had not (they were being stopped when time ran out). A
 * second signal does not start a second drain.
 */
export function exitOnSignals(bridge: Bridge, signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): void {
  let shuttingDown = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (shuttingDown) return;
    shuttingDown = true;
    bridge.logger.info({ signal, rooms: bridge.rooms.liveCount }, 'shutting down: draining rooms');
    let code = 1;
    try {
      const { drained } = await bridge.drain();
      code = drained ? 0 : 1;
      await bridge.close();
    } catch (error) {
      bridge.logger.error({ err: (error as Error).message }, 'shutdown failed');
      code = 1;
    }
    bridge.logger.info({ exitCode: code }, 'exiting');
    // pino writes stdout synchronously by default, so the lines above are out.
    process.exit(code);
  };
  for (const signal of signals) process.on(signal, () => void shutdown(signal));
}
