import { ConfigError } from './config.ts';
import { startupLogger } from './logger.ts';
import { getRuntime } from './runtime.ts';

/**
 * A configuration error stops the server at once with a message naming the variable, never its
 * value. A database or Redis that is not up yet is only logged: routes retry, and /api/ready
 * reports it until they answer. Both are JSON lines like every other (there is no runtime, and
 * so no runtime logger, yet).
 */
export async function checkAtStart(): Promise<void> {
  try {
    await getRuntime();
  } catch (error) {
    if (error instanceof ConfigError) {
      startupLogger().fatal(error.message);
      process.exit(1);
    }
    startupLogger().warn({ err: (error as Error).message }, 'not ready yet');
  }
}
