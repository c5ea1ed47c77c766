import { Client, ProtocolError, SdkHttpError, StreamableHTTPClientTransport, type Tool } from '@modelcontextprotocol/client';
import type { Config } from './config.ts';
import { endUserId } from './end-user-id.ts';
import { forwardedRequestId } from './http-request-id.ts';
import { DiscoveryCache } from './mcp-discovery.ts';
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

/**
 * The tool call was sent and then the answer was lost (a timeout, a cut connection, a server
 * error while it ran): the tool may have run, so this must not read as "it failed".
 */
export class ToolOutcomeUnknown extends UpstreamError {
  constructor(options?: ErrorOptions) {
    super('The tool server stopped answering during the call, so the tool may have run. Check its effect before running it again.', 502, options);
    this.name = 'ToolOutcomeUnknown';
  }
}

const CLIENT_INFO = { name: 'voice-console', version: '1.0.0' };
/** What each connection learned of the server's protocol era, for the next ones in this process. */
const discoveries = new DiscoveryCache();
export const TOOL_SERVER_BUSY = 'The tool server is busy; try again in a moment.';

/** What the console answers for a failure before the request reached a tool. */
function refusal(error: unknown): UpstreamError {
  if (error instanceof SdkHttpError && error.status === 429) return new UpstreamError(TOOL_SERVER_BUSY, 429, { cause: error });
  // A JSON-RPC error from the server means the request was refused (an unknown tool, arguments
  // that do not fit). The client's own failures (a timeout, a closed connection) are SdkErrors.
  if (error instanceof ProtocolError) return new UpstreamError('The tool server refused the request; check the tool name and its arguments.', 400, { cause: error });
  return new UpstreamError('The tool server cannot be reached right now; try again in a moment.', 502, { cause: error });
}

/**
 * After the tool call went out: an HTTP refusal (4xx) or a JSON-RPC error from the server means
 * it did not run; the rest (a timeout, a cut connection, a 5xx) is unknown.
 */
function afterSending(error: unknown): UpstreamError {
  if (error instanceof SdkHttpError && error.status >= 400 && error.status < 500) return refusal(error);
  if (error instanceof ProtocolError) return refusal(error);
  return new ToolOutcomeUnknown({ cause: error });
}

/**
 * Talks to the MCP server with the console's service token. `subject` (the signed-in user's) goes
 * as X-End-User-Id, encoded the way the server accepts it, so the server uses that user's Connect
 * accounts and counts their requests apart from everyone else's; without it (the smoke test) the
 * console counts as itself. The token never reaches the browser. Each use is one short
 * connection: the server is stateless, so there is nothing to keep but its protocol era. The
 * client speaks 2026-07-28 when the server offers it (`server/discover`) and 2025-11-25
 * otherwise; a 2026-07-28 verdict is reused for a minute (`DiscoveryCache`).
 */
async function withClient<T>(config: Config, subject: string | undefined, use: (client: Client, sending: () => void) => Promise<T>): Promise<T> {
  const client = new Client(CLIENT_INFO, { versionNegotiation: { mode: 'auto' } });
  const headers: Record<string, string> = { authorization: `Bearer ${config.MCP_CONSOLE_TOKEN}`, ...forwardedRequestId() };
  if (subject !== undefined) headers['x-end-user-id'] = endUserId(subject);
  const url = config.MCP_SERVER_URL;
  let sent = false;
  try {
    const prior = discoveries.get(url);
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }), prior !== undefined ? { prior } : {});
    // Only a modern verdict is kept: the SDK also falls back to 2025 when the probe was merely
    // refused (a busy server's 429), and a kept legacy verdict would never be found out.
    const discover = client.getDiscoverResult();
    if (discover !== undefined) discoveries.remember(url, { kind: 'modern', discover });
    return await use(client, () => {
      sent = true;
    });
  } catch (error) {
    // A busy server says nothing about its era; any other failure may mean it changed.
    if (!(error instanceof SdkHttpError && error.status === 429)) discoveries.forget(url);
    throw sent ? afterSending(error) : refusal(error);
  } finally {
    await client.close();
  }
}

export async function listTools(config: Config, subject?: string): Promise<ToolSummary[]> {
  return withClient(config, subject, async (client) => {
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

export async function callTool(config: Config, subject: string, name: string, args: Record<string, unknown>): Promise<ToolOutcome> {
  return withClient(config, subject, async (client, sending) => {
    sending();
    const result = await client.callTool({ name, arguments: args });
    const text = result.content
      .map((part) => (part.type === 'text' ? part.text : `[${part.type}]`))
      .join('\n');
    const structured = result.structuredContent;
    return {
      isError: result.isError === true,
      text,
      // The specification makes it a JSON object; anything else is not passed on.
      ...(typeof structured === 'object' && structured !== null && !Array.isArray(structured) ? { structuredContent: structured as Record<string, unknown> } : {}),
    };
  });
}
