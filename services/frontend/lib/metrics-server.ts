import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { consoleMetrics } from './metrics.ts';

/**
 * The console's metrics on a listener of their own (METRICS_PORT), on the console's host: the
 * public port, which the internet reaches, never serves them. GET /metrics only; everything else
 * is 404. The listener never keeps the process alive: it ends with the console's server.
 */
export function serveMetrics(port: number, host: string, logger: Logger): Server | undefined {
  if (port === 0) return undefined;
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://metrics').pathname;
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const { registry } = consoleMetrics();
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => {
        logger.error({ err: (error as Error).message }, 'metrics failed');
        response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed');
      },
    );
  });
  // A port taken is the operators' to fix; the console itself goes on serving.
  server.on('error', (error) => logger.error({ err: error.message, port, host }, 'the metrics listener cannot listen (METRICS_PORT)'));
  server.listen(port, host, () => logger.info({ port, host }, 'metrics listening'));
  server.unref();
  return server;
}
