/**
 * What main_control and the LLM node exchange. The fields main_python sets on chat_completion
 * (request_id, messages, streaming, parameters, tools) are its own; the streamed results are a
 * simplified form of ten_ai_base's LLM response types (message delta, message done, tool call),
 * since both ends are stand-ins here.
 */

/** ten_ai_base's LLMToolMetadata, as mcp_client_python builds it from a tool's inputSchema. */
export interface ToolMetadata {
  readonly name: string;
  readonly description: string;
  readonly parameters: ReadonlyArray<{ name: string; type: string; description: string; required: boolean; items?: unknown }>;
}

export type LlmMessage =
  | { role: 'user' | 'assistant'; content: string; type?: undefined }
  | { role: 'assistant'; type: 'function_call'; name: string; arguments: string; call_id: string }
  | { role: 'tool'; type: 'function_call_output'; output: string; call_id: string };

export type LlmResponse =
  | { readonly type: 'message_content_delta'; readonly delta: string; readonly content: string }
  | { readonly type: 'message_content_done'; readonly content: string }
  | { readonly type: 'tool_call'; readonly name: string; readonly arguments: Record<string, unknown>; readonly tool_call_id: string };
