import { Client, SSEClientTransport } from '@modelcontextprotocol/client';
import type { Cmd, Extension, ExtensionContext, Respond } from '../runtime.ts';
import type { ToolMetadata } from './llm-wire.ts';

/**
 * TEN's `mcp_client_python` (extension.py, on ten_ai_base's AsyncLLMToolBaseExtension): on
 * start, when its `url` is set, it opens the MCP server's legacy SSE transport (the Python SDK's
 * `sse_client`, no headers), initializes, lists the tools and sends one cmd `tool_register` per
 * tool (routed by the graph, awaited in turn); cmd `tool_call` runs `call_tool` on that session
 * and answers with the result as an `llmresult` of its JSON.
 */
export function mcpClient(context: ExtensionContext): Extension {
  const url = typeof context.property['url'] === 'string' ? context.property['url'] : '';
  let client: Client | undefined;

  return {
    async start() {
      if (url === '') return context.log('no url configured, no MCP session');
      try {
        // The Python SDK's ClientSession introduces itself as "mcp" 0.1.0 unless told otherwise.
        client = new Client({ name: 'mcp', version: '0.1.0' });
        await client.connect(new SSEClientTransport(new URL(url)));
        context.emit({ type: 'mcp_connected', url });
        const { tools } = await client.listTools();
        context.emit({ type: 'tools_listed', tools: tools.map((tool) => ({ name: tool.name, description: tool.description, inputSchema: tool.inputSchema })) });
        for (const tool of tools) await context.sendCmd('tool_register', { tool: toolMetadata(tool) });
      } catch (error) {
        context.log(`MCP session failed: ${String(error)}`);
        context.emit({ type: 'mcp_failed', error: String(error) });
      }
    },
    async stop() {
      await client?.close().catch(() => undefined);
    },
    async onCmd(cmd: Cmd, respond: Respond) {
      if (cmd.name !== 'tool_call') return respond({ ok: true, properties: {}, final: true });
      const name = String(cmd.properties['name'] ?? '');
      const args = (cmd.properties['arguments'] ?? {}) as Record<string, unknown>;
      try {
        if (client === undefined) throw new Error('no MCP session');
        const result = await client.callTool({ name, arguments: args });
        context.emit({ type: 'tool_called', name, arguments: args, result });
        respond({ ok: true, properties: { tool_result: { type: 'llmresult', content: JSON.stringify(result) } }, final: true });
      } catch (error) {
        context.emit({ type: 'tool_call_failed', name, error: String(error) });
        respond({ ok: false, properties: {}, final: true });
      }
    },
  };
}

/** The extension's conversion of a tool's JSON Schema into LLMToolMetadata parameters. */
function toolMetadata(tool: { name: string; description?: string; inputSchema: { properties?: Record<string, unknown>; required?: string[] } }): ToolMetadata {
  const required = tool.inputSchema.required ?? [];
  const parameters = Object.entries(tool.inputSchema.properties ?? {}).map(([name, raw]) => {
    const schema = (raw ?? {}) as { type?: string; title?: string; items?: unknown };
    const type = schema.type ?? 'string';
    return { name, type, description: schema.title ?? name, required: required.includes(name), ...(type === 'array' ? { items: schema.items ?? { type: 'string' } } : {}) };
  });
  return { name: tool.name, description: tool.description ?? '', parameters };
}
