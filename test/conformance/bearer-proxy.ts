import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BearerProxy {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Stands in front of the MCP server and adds a caller's bearer token, as any real client of ours
 * does: the conformance suite's client sends no credentials. Everything else passes through
 * untouched (Host and Origin included, so the server judges exactly what the suite sent), and
 * bodies stream both ways, so SSE responses arrive as the server writes them.
 */
export async function startBearerProxy(targetPort: number, token: string): Promise<BearerProxy> {
  const server: Server = createServer((incoming, outgoing) => {
    const upstream = request(
      {
        host: '127.0.0.1',
        port: targetPort,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, authorization: `Bearer ${token}` },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    outgoing.on('close', () => upstream.destroy());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
