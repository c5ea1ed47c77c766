import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Config } from './config.ts';
import { UpstreamError } from './upstream-error.ts';

/** A tool as the browser sees it: what it needs to draw a form, nothing more. */
export interface ToolSummary {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly inputSchema: Tool['inputSchema'];
  readonly annotations?: Tool['annotations'];
}

export interface ToolOutcome {
  readonly isError: boolean;
  /** The result's text content, joined. */
  readonly text: string;
  readonly structuredContent?: Record<string, unknown>;
}

const CLIENT_INFO = { name: 'voice-console', version: '1.0.0' };

/**
 * Talks to the MCP server with the console's service token; `endUser` (the signed-in user's
 * subject) tells the server whose Connect accounts to use. The token never reaches the browser.
 * Each use is one short connection: the server is stateless, so there is nothing to keep.
 */
async function withClient<T>(config: Config, endUser: string | undefined, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client(CLIENT_INFO);
  const headers: Record<string, string> = { authorization: `Bearer ${config.MCP_CONSOLE_TOKEN}` };
  if (endUser !== undefined) headers['x-end-user-id'] = endUser;
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(config.MCP_SERVER_URL), { requestInit: { headers } }));
    return await use(client);
  } catch (error) {
    // A tool that fails answers with an isError result, not an exception. A protocol error means
    // the request was refused (an unknown tool, say); anything else, that the server is out of reach.
    if (error instanceof McpError) throw new UpstreamError(`The tool server refused the request: ${error.message}`, 400, { cause: error });
    throw new UpstreamError('The tool server cannot be reached right now; try again in a moment.', 502, { cause: error });
  } finally {
    await client.close();
  }
}

export async function listTools(config: Config, endUser?: string): Promise<ToolSummary[]> {
  return withClient(config, endUser, async (client) => {
    const { tools } = await client.listTools();
    return tools.map((tool) => ({
      name: tool.name,
      title: tool.title ?? tool.annotations?.title ?? tool.name,
      description: tool.description ?? '',
      inputSchema: tool.inputSchema,
      ...(tool.annotations !== undefined ? { annotations: tool.annotations } : {}),
    }));
  });
}

export async function callTool(config: Config, endUser: string, name: string, args: Record<string, unknown>): Promise<ToolOutcome> {
  return withClient(config, endUser, async (client) => {
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
    const text = result.content
      .map((part) => (part.type === 'text' ? part.text : `[${part.type}]`))
      .join('\n');
    return {
      isError: result.isError === true,
      text,
      ...(result.structuredContent !== undefined ? { structuredContent: result.structuredContent } : {}),
    };
  });
}
