import { randomUUID } from 'node:crypto';
import type { Cmd, CmdResult, Data, Extension, ExtensionContext, Respond } from '../runtime.ts';
import type { LlmMessage, LlmResponse, ToolMetadata } from './llm-wire.ts';

/**
 * TEN's `main_python` from the websocket-example tenapp (extension.py, agent/agent.py,
 * agent/llm_exec.py, helper.py), as far as a session needs it. It sends by explicit
 * destination to the node names it was written for: `llm` (chat_completion, abort), `tts`
 * (tts_text_input, tts_flush), `websocket_server` (text_data) and `agora_rtc` (flush), and to the
 * registering node for tool_call. It receives what the graph routes to it: cmd on_user_joined,
 * on_user_left and tool_register, data asr_result.
 */
export function mainControl(context: ExtensionContext): Extension {
  const greeting = typeof context.property['greeting'] === 'string' ? context.property['greeting'] : '';
  let userCount = 0;
  let turnId = 0;
  let sessionId = '100';
  let fragment = '';
  const tools: ToolMetadata[] = [];
  const toolSources = new Map<string, string>();
  const contexts: LlmMessage[] = [];
  const input: string[] = [];
  let inputWaiter: (() => void) | undefined;
  let current: { requestId: string; cancelled: boolean; text: string | undefined } | undefined;
  let asrQueue = Promise.resolve();
  let stopped = false;

  const sendTranscript = (role: 'user' | 'assistant', text: string, final: boolean, streamId: number) =>
    context.sendData('text_data', { data_type: 'transcribe', role, text, text_ts: Date.now(), is_final: final, stream_id: streamId }, 'websocket_server');

  const sendToTts = (text: string, isFinal: boolean) =>
    context.sendData('tts_text_input', { request_id: `tts-request-${turnId}`, text, text_input_end: isFinal, metadata: { session_id: sessionId, turn_id: turnId } }, 'tts');

  // _on_llm_response for message events: sentences to TTS as they complete, transcript always.
  const onResponse = (delta: string, text: string, isFinal: boolean) => {
    if (!isFinal) {
      const [sentences, rest] = parseSentences(fragment, delta);
      fragment = rest;
      for (const sentence of sentences) sendToTts(sentence, false);
    } else {
      const remaining = fragment;
      fragment = '';
      sendToTts(remaining, true);
    }
    sendTranscript('assistant', text, isFinal, 100);
  };

  const writeContext = (content: string) => {
    const last = contexts.at(-1);
    if (last !== undefined && last.role === 'assistant' && last.type === undefined) last.content = content;
    else contexts.push({ role: 'assistant', content });
  };

  const sendToLlm = async (message: LlmMessage): Promise<void> => {
    const requestId = randomUUID();
    const request = { requestId, cancelled: false, text: undefined as string | undefined };
    current = request;
    const messages = [...contexts, message];
    contexts.push(message);
    // Responses are handled one after another; a tool call in one sends a nested request.
    let responses = Promise.resolve();
    await context.sendCmd(
      'chat_completion',
      { request_id: requestId, messages, streaming: true, parameters: { temperature: 0.7 }, tools },
      'llm',
      (partial: CmdResult) => {
        if (request.cancelled || !partial.ok) return;
        const response = partial.properties as unknown as LlmResponse;
        responses = responses.then(() => (request.cancelled ? undefined : handleResponse(request, response)));
      },
    );
    await responses;
  };

  const handleResponse = async (request: { text: string | undefined }, response: LlmResponse): Promise<void> => {
    if (response.type === 'message_content_delta') {
      request.text = response.content;
      if (response.delta !== '') onResponse(response.delta, response.content, false);
      if (response.content !== '') writeContext(response.content);
    } else if (response.type === 'message_content_done') {
      request.text = undefined;
      if (response.content !== '') onResponse('', response.content, true);
    } else {
      const source = toolSources.get(response.name);
      const result = await context.sendCmd('tool_call', { name: response.name, arguments: response.arguments }, source);
      if (!result.ok) return context.log('Tool call failed');
      const toolResult = result.properties['tool_result'] as { type?: string; content?: unknown } | undefined;
      if (toolResult?.type !== 'llmresult' || typeof toolResult.content !== 'string') return;
      contexts.push({ role: 'assistant', type: 'function_call', name: response.name, arguments: JSON.stringify(response.arguments), call_id: response.tool_call_id });
      await sendToLlm({ role: 'tool', type: 'function_call_output', output: toolResult.content, call_id: response.tool_call_id });
    }
  };

  // LLMExec._process_input_queue: one user turn at a time.
  const processInput = async () => {
    while (!stopped) {
      const text = input.shift();
      if (text === undefined) {
        await new Promise<void>((resolve) => (inputWaiter = resolve));
        continue;
      }
      await sendToLlm({ role: 'user', content: text });
    }
  };

  const flushLlm = async () => {
    input.length = 0;
    const request = current;
    current = undefined;
    if (request !== undefined && !request.cancelled) {
      request.cancelled = true;
      await context.sendCmd('abort', { request_id: request.requestId }, 'llm');
      // The cancelled task still reports the text it had, as a final response.
      if (request.text !== undefined && request.text !== '') onResponse('', request.text, true);
    }
  };

  const interrupt = async () => {
    fragment = '';
    await flushLlm();
    context.sendData('tts_flush', { flush_id: randomUUID() }, 'tts');
    await context.sendCmd('flush', {}, 'agora_rtc');
  };

  const onAsrResult = async (asr: { text: string; final: boolean; metadata: Record<string, unknown> }) => {
    sessionId = String(asr.metadata['session_id'] ?? '100');
    const streamId = Number.parseInt(sessionId, 10);
    if (asr.text === '') return;
    if (asr.final || asr.text.length > 2) await interrupt();
    if (asr.final) {
      turnId += 1;
      input.push(asr.text);
      inputWaiter?.();
    }
    sendTranscript('user', asr.text, asr.final, streamId);
  };

  return {
    async start() {
      void processInput();
    },
    async stop() {
      stopped = true;
      inputWaiter?.();
      await flushLlm();
    },
    async onCmd(cmd: Cmd, respond: Respond) {
      if (cmd.name === 'on_user_joined') {
        userCount += 1;
        if (userCount === 1 && greeting !== '') {
          sendToTts(greeting, true);
          sendTranscript('assistant', greeting, true, 100);
        }
      } else if (cmd.name === 'on_user_left') {
        userCount -= 1;
      } else if (cmd.name === 'tool_register') {
        const tool = cmd.properties['tool'] as ToolMetadata | undefined;
        if (tool === undefined) return respond({ ok: false, properties: {}, final: true });
        tools.push(tool);
        toolSources.set(tool.name, cmd.source);
        context.emit({ type: 'tool_registered', tool: tool.name, source: cmd.source });
      } else {
        context.log(`Unhandled cmd: ${cmd.name}`);
      }
      respond({ ok: true, properties: {}, final: true });
    },
    onData(data: Data) {
      if (data.name !== 'asr_result') return context.log(`Unhandled data: ${data.name}`);
      const asr = {
        text: typeof data.properties['text'] === 'string' ? data.properties['text'] : '',
        final: data.properties['final'] === true,
        metadata: (data.properties['metadata'] ?? {}) as Record<string, unknown>,
      };
      asrQueue = asrQueue.then(() => onAsrResult(asr)).catch((error: unknown) => context.log(`asr handler failed: ${String(error)}`));
    },
  };
}

/** helper.py parse_sentences: a sentence ends at , . ? ! (and their full-width forms). */
export function parseSentences(fragment: string, content: string): [string[], string] {
  const sentences: string[] = [];
  let current = fragment;
  for (const char of content) {
    current += char;
    if (',，.。?？!！'.includes(char)) {
      if (/[\p{L}\p{N}]/u.test(current)) sentences.push(current);
      current = '';
    }
  }
  return [sentences, current];
}
