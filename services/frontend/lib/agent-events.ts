import type { Logger } from 'pino';
import { agentBridgeClient, EVENTS_IDLE_MS, FINAL_STATES, parseRoomState, parseTranscript } from './agent-bridge.ts';
import { agentView } from './agent-view.ts';
import type { AgentSessions } from './agent-sessions.ts';
import type { Config } from './config.ts';
import { SseParser, sseComment, sseEvent, type SseMessage } from './sse.ts';

/**
 * The agent bridge's event stream of one room, passed on to a signed-in user's page as
 * server-sent events: `state` (the agent as agentView shows it) and `transcript` (a line it
 * heard or said). Each event is read and written anew, so only those two kinds, with only the
 * fields the page shows, reach the browser. On the way, the console learns from it: a state
 * or a heartbeat renews the session in history, the final state ends it there. The upstream
 * request ends when the browser goes away, when the bridge ends the stream (after the final
 * state), or when the bridge falls silent for longer than three heartbeats.
 */
export async function agentEventStream(config: Config, sessions: AgentSessions, logger: Logger, room: string, browserGone: AbortSignal): Promise<Response> {
  const upstream = new AbortController();
  const closeUpstream = () => upstream.abort();
  // Next.js aborts the request's signal when the browser disconnects (even before the bridge
  // answered) and cancels the response body (below) once it streams: either closes upstream.
  browserGone.addEventListener('abort', closeUpstream, { once: true });
  let body: ReadableStream<Uint8Array>;
  try {
    body = await agentBridgeClient(config).events(room, upstream.signal);
  } catch (error) {
    browserGone.removeEventListener('abort', closeUpstream);
    throw error;
  }
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  const encoder = new TextEncoder();
  let sessionId: string | undefined;

  /** Learning from the stream must never break it: a store that is away only costs history a renewal. */
  const learn = (work: Promise<void>) => work.catch((error: unknown) => logger.warn({ err: (error as Error).message, room }, 'agent events: history not updated'));

  /** One upstream message as the browser gets it, or nothing for what the page does not use. */
  const translate = async (message: SseMessage): Promise<string | undefined> => {
    if (message.kind === 'comment') {
      if (sessionId !== undefined) await learn(sessions.sawRunning(room, sessionId));
      return sseComment('heartbeat');
    }
    const data = safeJson(message.data);
    if (message.event === 'transcript') {
      const line = parseTranscript(data);
      return line === undefined ? undefined : sseEvent('transcript', line);
    }
    if (message.event !== 'state') return undefined;
    const state = parseRoomState(data);
    if (state === undefined || state.room !== room) return undefined;
    sessionId = state.sessionId;
    await learn(FINAL_STATES.has(state.state) ? sessions.sawEnd(state) : sessions.sawRunning(room, state.sessionId));
    return sseEvent('state', agentView(state));
  };

  const finish = () => {
    browserGone.removeEventListener('abort', closeUpstream);
    upstream.abort();
  };

  return new Response(
    new ReadableStream<Uint8Array>({
      async pull(controller) {
        // Each pull passes on at least one chunk of the bridge's stream, or ends the stream.
        for (;;) {
          const next = await readWithin(reader, EVENTS_IDLE_MS).catch(() => ({ done: true as const, value: undefined }));
          if (next.done) {
            finish();
            controller.close();
            return;
          }
          let out = '';
          // In order: a session's end must not be overtaken by its renewal.
          for (const message of parser.push(decoder.decode(next.value, { stream: true }))) out += (await translate(message)) ?? '';
          if (out !== '') {
            controller.enqueue(encoder.encode(out));
            return;
          }
        }
      },
      cancel() {
        finish();
        void reader.cancel().catch(() => undefined);
      },
    }),
    {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        // no-transform: nothing on the way (Next.js's compression included) may buffer the stream.
        'cache-control': 'no-store, no-transform',
        'x-accel-buffering': 'no',
      },
    },
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The next chunk, or a rejection when none comes within `ms` (the bridge went silent). */
async function readWithin<T>(reader: ReadableStreamDefaultReader<T>, ms: number): Promise<ReadableStreamReadResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([reader.read(), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the agent bridge went silent')), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
