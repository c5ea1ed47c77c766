import type { ServerResponse } from 'node:http';
import { NodeStreamableHTTPServerTransport, toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, isLegacyRequest, type McpHttpHandler } from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import { nestedDeeperThan } from './argument-bounds.ts';
import { ClassificationRequests } from './classification-requests.ts';
import { jsonRpcError, type GuardedRequest } from './http-guards.ts';
import { InFlight } from './in-flight.ts';
import { createMcpServer } from './mcp-protocol.ts';
import type { ToolService } from './tool-service.ts';

/**
 * The SDK's Node adapter re-serialises a parsed body with JSON.stringify, which recurses: a body
 * nested thousands of levels deep would overflow the stack. Deeper than any tool call can be:
 * ARGUMENT_MAX_DEPTH (at most 1000) bounds the arguments, two levels below the body, with an
 * answer the model can read.
 */
const MAX_MODERN_BODY_DEPTH = 1024;

export interface StreamableHttp {
  /** Serves one POST /mcp whose JSON body the app has already read (and checked) into `req.body`. */
  serve(req: GuardedRequest, res: ServerResponse): Promise<void>;
  /**
   * For the drain, once no tool call runs: waits (up to `timeoutMs`) until every answer in flight
   * has been written, then ends the modern exchanges still open. True when none was cut.
   */
  drain(timeoutMs: number): Promise<boolean>;
}

/**
 * Stateless Streamable HTTP at /mcp, in both protocol eras, on one tool path:
 *
 * - 2026-07-28 requests (they carry the per-request `_meta` envelope) go to the SDK's
 *   `createMcpHandler` in strict mode: `server/discover`, the MCP-Protocol-Version / Mcp-Method /
 *   Mcp-Name rules (400 with -32020 on a header/body mismatch), -32022 for a revision it does not
 *   serve. Its answer is JSON unless the call sends progress first, which upgrades it to SSE.
 * - Everything else (2025-11-25 and older: `initialize`, then requests without the envelope) gets
 *   a fresh server and transport per request, answering JSON unless the client asked for progress.
 *   The SDK's own legacy fallback would answer these with SSE always, costlier for both ends.
 *
 * The routing uses the SDK's own predicate, so it cannot disagree with the handler.
 */
export function streamableHttp(tools: ToolService, logger: Logger): StreamableHttp {
  const modern: McpHttpHandler = createMcpHandler(() => createMcpServer(tools, 'mcp'), {
    legacy: 'reject',
    // Refusals (a header mismatch, an unknown revision) are the client's error and answered as such.
    onerror: (error) => logger.info({ reason: error.message }, 'mcp: 2026-07-28 request refused or failed'),
  });
  const serveModern = toNodeHandler(modern, { onerror: (error) => logger.error({ err: error }, 'mcp: 2026-07-28 handler failed') });
  // Answers not yet written: a call that finished in the tool drain still has its answer to send.
  const answering = new InFlight();
  const classificationRequests = new ClassificationRequests();

  return {
    serve: async (req, res) => {
      res.once('close', answering.enter());
      if (!(await isLegacyRequest(classificationRequests.for(req), req.body))) {
        if (nestedDeeperThan(req.body, MAX_MODERN_BODY_DEPTH)) return jsonRpcError(res, 400, -32600, `Invalid Request: the body is nested more than ${MAX_MODERN_BODY_DEPTH} levels deep`);
        return serveModern(req, res, req.body);
      }
      const server = createMcpServer(tools, 'mcp');
      const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: !asksForProgress(req.body) });
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    },
    drain: async (timeoutMs) => {
      const drained = await answering.waitUntilIdle(timeoutMs);
      await modern.close();
      return drained;
    },
  };
}

/** True when a JSON-RPC message (or batch) carries a progress token. */
function asksForProgress(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some((message) => (message as { params?: { _meta?: { progressToken?: unknown } } } | null)?.params?._meta?.progressToken !== undefined);
}
