import { ConfigError } from './config.ts';
import { getRuntime } from './runtime.ts';

/**
 * A configuration error stops the server at once with a message naming the variable, never its
 * value. A database or Redis that is not up yet is only logged: routes retry, and /api/ready
 * reports it until they answer.
 */
export async function checkAtStart(): Promise<void> {
  try {
    await getRuntime();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`console: ${error.message}`);
      process.exit(1);
    }
    console.error(`console: not ready yet: ${(error as Error).message}`);
  }
}
