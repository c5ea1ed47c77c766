import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the proxy passed on (or refused), with its JSON-RPC method when it had one. */
export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The JSON-RPC `method` of the body (`initialize`, `tools/list`, `tools/call`…), if any. */
  readonly rpcMethod: string | undefined;
  /** Whether the proxy answered it itself instead of passing it on. */
  readonly refused: boolean;
}

/**
 * An HTTP proxy in front of the MCP server or the agent bridge, so a test can see exactly what
 * the console sends (every request counts against the MCP server's budget), make it answer as
 * a busy server, and see which requests are still open (an event stream the console keeps).
 */
export interface RecordingProxy {
  /** e.g. http://127.0.0.1:41234, no trailing slash; the MCP endpoint is `${url}/mcp`. */
  readonly url: string;
  readonly requests: ProxiedRequest[];
  /** Requests passed on whose exchange has not ended yet (neither side closed it). */
  readonly open: ReadonlySet<ProxiedRequest>;
  /** Answers the next `count` requests itself with `status` (a JSON-RPC error body), as a busy MCP server does. */
  refuseNext(count: number, status: number): void;
  close(): Promise<void>;
}

function rpcMethodOf(body: Buffer): string | undefined {
  try {
    const message = JSON.parse(body.toString('utf8')) as { method?: unknown };
    return typeof message.method === 'string' ? message.method : undefined;
  } catch {
    return undefined;
  }
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  const open = new Set<ProxiedRequest>();
  let refusals: { count: number; status: number } = { count: 0, status: 429 };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const refused = refusals.count > 0;
      const recorded: ProxiedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, rpcMethod: rpcMethodOf(body), refused };
      requests.push(recorded);
      if (refused) {
        refusals = { ...refusals, count: refusals.count - 1 };
        res
          .writeHead(refusals.status, { 'content-type': 'application/json', 'retry-after': '30' })
          .end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Too many requests; slow down' }, id: null }));
        return;
      }
      const forwarded = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forwarded.on('error', () => res.destroy());
      open.add(recorded);
      // The client went away (or the answer ended): so does the request upstream.
      res.on('close', () => {
        open.delete(recorded);
        forwarded.destroy();
      });
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    open,
    refuseNext: (count, status) => {
      refusals = { count, status };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
