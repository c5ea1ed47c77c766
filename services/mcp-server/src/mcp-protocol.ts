import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv-provider.js';
import type { ToolService } from './tool-service.ts';

/**
 * One validator for every server: the SDK builds a new Ajv per Server by default, which costs
 * more than the rest of a stateless request.
 */
const SHARED_VALIDATOR = new AjvJsonSchemaValidator();

export const SERVER_INFO = { name: 'voice-agent-mcp-server', version: '0.1.0' };

/** What the HTTP layer learned about the caller, carried in the SDK's AuthInfo.extra. */
export function callerOf(authInfo: AuthInfo | undefined): { caller: string; externalUserId: string } {
  if (authInfo === undefined) throw new McpError(ErrorCode.InvalidRequest, 'not authenticated');
  const externalUserId = authInfo.extra?.['externalUserId'];
  return { caller: authInfo.clientId, externalUserId: typeof externalUserId === 'string' ? externalUserId : authInfo.clientId };
}

/**
 * An MCP server over the tool catalog. Stateless Streamable HTTP builds one per request; the
 * legacy SSE transport one per session. Tool calls report progress when the client asks for it,
 * which reaches it over the request's SSE stream.
 */
export function createMcpServer(tools: ToolService, transport: 'mcp' | 'sse'): Server {
  const server = new Server(SERVER_INFO, { capabilities: { tools: { listChanged: false } }, jsonSchemaValidator: SHARED_VALIDATOR });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: tools.list() }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name, arguments: args } = request.params;
    if (!tools.has(name)) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    const { caller, externalUserId } = callerOf(extra.authInfo);
    const progressToken = request.params._meta?.progressToken;
    // Best effort: a progress notice that cannot be sent must not turn a call that ran into an error.
    const progress = async (value: number, message: string) => {
      if (progressToken === undefined) return;
      await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress: value, total: 1, message } }).catch(() => undefined);
    };
    await progress(0, `calling ${name}`);
    const result = await tools.call(name, args ?? {}, { caller, externalUserId, transport, signal: extra.signal });
    await progress(1, `${name} finished`);
    return result;
  });
  return server;
}
