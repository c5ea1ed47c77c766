import { ProtocolError, ProtocolErrorCode, Server, type AuthInfo } from '@modelcontextprotocol/server';
import type { ToolService } from './tool-service.ts';

export const SERVER_INFO = { name: 'voice-agent-mcp-server', version: '0.1.0' };

/** What the HTTP layer learned about the caller, carried in the SDK's AuthInfo.extra. */
export function callerOf(authInfo: AuthInfo | undefined): { caller: string; externalUserId: string; requestId?: string } {
  if (authInfo === undefined) throw new ProtocolError(ProtocolErrorCode.InvalidRequest, 'not authenticated');
  const externalUserId = authInfo.extra?.['externalUserId'];
  // Set for /mcp (src/app.ts); a legacy SSE call answers on its stream, not on its request.
  const requestId = authInfo.extra?.['requestId'];
  return {
    caller: authInfo.clientId,
    externalUserId: typeof externalUserId === 'string' ? externalUserId : authInfo.clientId,
    ...(typeof requestId === 'string' ? { requestId } : {}),
  };
}

/**
 * An MCP server over the tool catalog. Stateless Streamable HTTP builds one per request; the
 * legacy SSE transport one per session. Tool calls report progress when the client asks for it,
 * which reaches it over the request's SSE stream.
 */
export function createMcpServer(tools: ToolService, transport: 'mcp' | 'sse'): Server {
  // The SDK's default JSON Schema validator builds its Ajv only on first use (the server uses it
  // for elicitation alone), so a Server per stateless request costs no Ajv setup.
  const server = new Server(SERVER_INFO, { capabilities: { tools: { listChanged: false } } });
  server.setRequestHandler('tools/list', () => ({ tools: tools.list() }));
  server.setRequestHandler('tools/call', async (request, ctx) => {
    const { name, arguments: args } = request.params;
    if (!tools.has(name)) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${name}`);
    const { caller, externalUserId, requestId } = callerOf(ctx.http?.authInfo);
    const progressToken = request.params._meta?.progressToken;
    // Best effort: a progress notice that cannot be sent must not turn a call that ran into an error.
    const progress = async (value: number, message: string) => {
      if (progressToken === undefined) return;
      await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, progress: value, total: 1, message } }).catch(() => undefined);
    };
    await progress(0, `calling ${name}`);
    const result = await tools.call(name, args ?? {}, { caller, externalUserId, transport, signal: ctx.mcpReq.signal, ...(requestId !== undefined ? { requestId } : {}) });
    await progress(1, `${name} finished`);
    return result;
  });
  return server;
}
