import { buildSync } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The session process as one plain JavaScript file, built once per test process.
 *
 * Why not run `worker/main.ts` under the tsx loader: on a cold transform cache the loader starts
 * an esbuild service as a child of the worker, in the worker's process group. SIGTERM ends both,
 * but the esbuild child is orphaned by the worker's exit and stays a zombie in the group until
 * PID 1 reaps it, which a container or sandbox init may do seconds later. The agent server's stop
 * then sees the group alive for its whole 2 s grace, sends SIGKILL to a group that may be gone by
 * then, and answers 10102, as TEN would. In a TEN image PID 1 (our drain wrapper) reaps at once,
 * so a worker group that is one process is the faithful stand-in.
 */

const WORKER_MAIN = fileURLToPath(new URL('./worker/main.ts', import.meta.url));

let bundle: string | undefined;

export function workerBundle(): string {
  if (bundle !== undefined) return bundle;
  const directory = mkdtempSync(join(tmpdir(), 'fake-ten-worker-'));
  const outfile = join(directory, 'worker.mjs');
  buildSync({
    entryPoints: [WORKER_MAIN],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // CommonJS dependencies (ws) call require for Node's built-ins, which an ES module lacks.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'error',
  });
  process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
  bundle = outfile;
  return outfile;
}
