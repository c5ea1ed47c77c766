/**
 * The body of every stand-in's process: read its options, start it, and stop it on SIGTERM,
 * SIGINT, or when its stdin ends (the `npm run dev` that started it went away, even by SIGKILL).
 * Options come as JSON in DEV_STAND_IN_OPTIONS, an environment variable rather than an argument,
 * since some hold secrets and arguments are visible to every user of the machine.
 */
export const STAND_IN_OPTIONS = 'DEV_STAND_IN_OPTIONS';

export async function runStandIn<Options>(name: string, start: (options: Options) => Promise<{ close(): Promise<void> }>): Promise<void> {
  const options = JSON.parse(process.env[STAND_IN_OPTIONS] ?? '{}') as Options;
  delete process.env[STAND_IN_OPTIONS];
  let running: { close(): Promise<void> };
  try {
    running = await start(options);
  } catch (error) {
    process.stderr.write(`${name}: cannot start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${name}: did not close cleanly: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
}
