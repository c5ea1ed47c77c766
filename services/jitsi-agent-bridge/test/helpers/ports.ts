import { createServer } from 'node:net';

/** True when nothing listens on 127.0.0.1:port right now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * `count` consecutive ports on 127.0.0.1 that nothing listens on, for TEN_WORKER_PORTS. Picked
 * at random above the ephemeral-looking range other tests' servers get from port 0 rarely use.
 */
export async function freePortRange(count: number): Promise<{ first: number; last: number; text: string }> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const first = 20_000 + Math.floor(Math.random() * 12_000);
    const ports = Array.from({ length: count }, (_, index) => first + index);
    const free = await Promise.all(ports.map(isFree));
    if (free.every(Boolean)) return { first, last: first + count - 1, text: `${first}-${first + count - 1}` };
  }
  throw new Error(`no ${count} consecutive free ports found`);
}
