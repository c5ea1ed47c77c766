/**
 * What the fake agent server and its worker processes tell each other: the script the worker's
 * stand-in vendors follow (in an environment variable), and the events the worker reports (one
 * JSON line each on stdout, after a marker, between its ordinary log lines).
 */

/** The environment variable that carries the script to the worker. */
export const SCRIPT_VARIABLE = 'FAKE_TEN_AGENT_SCRIPT';
/** The fake server's address, which a worker told to listen on every interface listens on instead. */
export const CONTAINER_ADDRESS_VARIABLE = 'FAKE_TEN_CONTAINER_ADDRESS';

/** The marker that starts an event line on the worker's stdout. */
export const EVENT_MARKER = '@@fake-ten-event ';

/** What the stand-ins for the STT, LLM and TTS vendors do in every session. */
export interface FakeTenScript {
  /** What the user says, one transcript per utterance; past the end the last one repeats. @default ['Hello there.'] */
  readonly transcripts?: readonly string[];
  /** What the LLM answers, one per utterance; past the end the last one repeats. @default ['I heard you.'] */
  readonly answers?: readonly string[];
  /** A tool the LLM calls before it answers one utterance (only if main_control registered it). @default - none */
  readonly toolCall?: {
    readonly name: string;
    readonly arguments: Record<string, unknown>;
    /** Which utterance, 1-based, or every one (a long conversation that keeps using tools). @default 1 */
    readonly utterance?: number | 'every';
  };
  /** How the TTS speaks: espeak-ng at 16 kHz (through sox), or a chirp of the text's length. @default 'espeak-ng' */
  readonly voice?: 'espeak-ng' | 'chirp';
  /** The worker ignores SIGTERM, like a wedged app, so only SIGKILL ends it. @default false */
  readonly ignoreSigterm?: boolean;
}

/** A tool as mcp_client_python lists it (name, description, JSON Schema of the arguments). */
export interface ListedTool {
  readonly name: string;
  readonly description?: string;
  readonly inputSchema: unknown;
}

/** Everything a worker reports, in the order it happened. */
export type FakeTenEvent =
  /** `properties`: each node's property with its placeholders resolved. */
  | { readonly type: 'graph_started'; readonly graph: string; readonly nodes: readonly string[]; readonly properties: Readonly<Record<string, unknown>> }
  | { readonly type: 'graph_refused'; readonly reason: string }
  | { readonly type: 'websocket_listening'; readonly host: string; readonly port: number }
  | { readonly type: 'websocket_failed'; readonly error: string }
  | { readonly type: 'client_connected'; readonly client: string }
  | { readonly type: 'client_rejected'; readonly client: string }
  | { readonly type: 'client_disconnected'; readonly client: string }
  | { readonly type: 'mcp_connected'; readonly url: string }
  | { readonly type: 'mcp_failed'; readonly error: string }
  | { readonly type: 'tools_listed'; readonly tools: readonly ListedTool[] }
  | { readonly type: 'tool_registered'; readonly tool: string; readonly source: string }
  | { readonly type: 'tool_called'; readonly name: string; readonly arguments: unknown; readonly result: unknown }
  | { readonly type: 'tool_call_failed'; readonly name: string; readonly error: string }
  | { readonly type: 'speech_onset'; readonly utterance: number }
  | { readonly type: 'asr_result'; readonly text: string; readonly final: boolean }
  | { readonly type: 'utterance'; readonly utterance: number; readonly text: string; readonly durationMs: number }
  | { readonly type: 'llm_request'; readonly utterance: number; readonly tools: readonly string[] }
  | { readonly type: 'llm_answer'; readonly text: string }
  | { readonly type: 'speech_started'; readonly text: string }
  | { readonly type: 'speech_finished'; readonly text: string }
  | { readonly type: 'speech_flushed'; readonly text: string | undefined }
  /** A cmd or data message between nodes: `to` is where it went, empty when it went nowhere. */
  | {
      readonly type: 'message';
      readonly kind: 'cmd' | 'data';
      readonly name: string;
      readonly from: string;
      readonly to: readonly string[];
      readonly explicit: boolean;
      /** Explicit destinations naming no node of the graph. */
      readonly missing: readonly string[];
    }
  | { readonly type: 'sigterm' }
  | { readonly type: 'stopped' };

export type FakeTenEventType = FakeTenEvent['type'];
