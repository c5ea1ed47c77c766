import { randomUUID } from 'node:crypto';
import type { Cmd, Extension, ExtensionContext, Respond } from '../runtime.ts';
import type { LlmMessage, LlmResponse, ToolMetadata } from './llm-wire.ts';

/**
 * A stand-in for the LLM node (`openai_llm2_python`): chat_completion streams the script's
 * answer for the current user turn word by word, or first asks for the script's tool call when
 * that tool was offered; abort stops the request it names.
 */
export function languageModel(context: ExtensionContext): Extension {
  const answers = context.script.answers ?? ['I heard you.'];
  const toolCall = context.script.toolCall;
  const aborted = new Set<string>();

  const partial = (respond: Respond, response: LlmResponse) => respond({ ok: true, properties: response as unknown as Record<string, unknown>, final: false });

  return {
    async onCmd(cmd: Cmd, respond: Respond) {
      const requestId = String(cmd.properties['request_id'] ?? '');
      if (cmd.name === 'abort') {
        aborted.add(requestId);
        return respond({ ok: true, properties: {}, final: true });
      }
      if (cmd.name !== 'chat_completion') return respond({ ok: true, properties: {}, final: true });
      const messages = (cmd.properties['messages'] ?? []) as LlmMessage[];
      const tools = (cmd.properties['tools'] ?? []) as ToolMetadata[];
      const utterance = messages.filter((message) => message.role === 'user').length;
      const last = messages.at(-1);
      context.emit({ type: 'llm_request', utterance, tools: tools.map((tool) => tool.name) });
      if (toolCall !== undefined && (toolCall.utterance === 'every' || (toolCall.utterance ?? 1) === utterance) && last?.role === 'user' && tools.some((tool) => tool.name === toolCall.name)) {
        partial(respond, { type: 'tool_call', name: toolCall.name, arguments: toolCall.arguments, tool_call_id: `call_${randomUUID()}` });
        return respond({ ok: true, properties: {}, final: true });
      }
      const answer = answers[Math.min(Math.max(utterance, 1), answers.length) - 1] ?? '';
      let content = '';
      for (const word of answer.split(/(?<=\s)/)) {
        await new Promise((resolve) => setTimeout(resolve, 30));
        if (aborted.has(requestId)) break;
        content += word;
        partial(respond, { type: 'message_content_delta', delta: word, content });
      }
      if (!aborted.has(requestId)) {
        partial(respond, { type: 'message_content_done', content });
        context.emit({ type: 'llm_answer', text: content });
      }
      aborted.delete(requestId);
      respond({ ok: true, properties: {}, final: true });
    },
  };
}
