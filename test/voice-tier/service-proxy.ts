import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * What a Kubernetes Service (or Railway's private domain) does for the tests: new TCP connections
 * go round-robin to the backends whose readiness answers 200 right now; connections already open
 * stay with their backend, whatever its readiness later. Readiness is polled, as endpoints lag.
 */
export class ServiceProxy {
  private readonly server: Server;
  private readonly backends = new Map<string, { host: string; port: number; ready: boolean }>();
  private readonly sockets = new Set<Socket>();
  private next = 0;
  private poller: NodeJS.Timeout | undefined;
  port = 0;

  constructor(private readonly readinessPath: string) {
    this.server = createServer((client) => this.route(client));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
    this.poller = setInterval(() => void this.poll(), 200);
    return this;
  }

  /** Adds (or replaces) a backend by name, not ready until its first good readiness answer. */
  add(name: string, url: string): void {
    const { hostname, port } = new URL(url);
    this.backends.set(name, { host: hostname, port: Number(port), ready: false });
  }

  remove(name: string): void {
    this.backends.delete(name);
  }

  /** The names of the backends taking new connections now. */
  ready(): string[] {
    return [...this.backends].filter(([, backend]) => backend.ready).map(([name]) => name);
  }

  async close(): Promise<void> {
    clearInterval(this.poller);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async poll(): Promise<void> {
    await Promise.all(
      [...this.backends.values()].map(async (backend) => {
        try {
          const answer = await fetch(`http://${backend.host}:${backend.port}${this.readinessPath}`, { signal: AbortSignal.timeout(1_000) });
          await answer.body?.cancel();
          backend.ready = answer.status === 200;
        } catch {
          backend.ready = false;
        }
      }),
    );
  }

  private route(client: Socket): void {
    const ready = [...this.backends.values()].filter((backend) => backend.ready);
    const backend = ready[this.next++ % Math.max(1, ready.length)];
    if (backend === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect(backend.port, backend.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}
