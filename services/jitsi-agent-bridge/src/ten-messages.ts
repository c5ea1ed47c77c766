import { FRAME_SAMPLE_RATE } from './room-joiner.ts';

/**
 * websocket_server's protocol (TEN `ai_agents/agents/ten_packages/extension/websocket_server/`):
 * the client sends `{"audio": base64 PCM16}`; the server sends `{"type":"audio", "audio",
 * "metadata": {sample_rate, …}}`, `{"type":"cmd", "name", "data"}` for every cmd routed to it,
 * `{"type":"data", "name":"text_data", "data"}` and `{"type":"error", "error"}`.
 */

/** One frame of room audio as websocket_server reads it. */
export function encodeAudioFrame(pcm: Buffer): string {
  return JSON.stringify({ audio: pcm.toString('base64') });
}

export interface Transcript {
  readonly role: 'user' | 'assistant';
  readonly text: string;
  readonly final: boolean;
}

export type TenMessage =
  | { readonly kind: 'audio'; readonly pcm: Buffer; readonly sampleRate: number }
  | { readonly kind: 'flush' }
  | { readonly kind: 'transcript'; readonly transcript: Transcript }
  /** websocket_server's complaint about something the bridge sent. */
  | { readonly kind: 'error'; readonly error: string }
  /** Valid but not for the bridge (another cmd or data); `what` names it for the debug log. */
  | { readonly kind: 'ignored'; readonly what: string }
  /** Not websocket_server's protocol; `problem` says why. */
  | { readonly kind: 'invalid'; readonly problem: string };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

export function parseTenMessage(text: string): TenMessage {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return { kind: 'invalid', problem: 'not JSON' };
  }
  if (!isObject(message)) return { kind: 'invalid', problem: 'not a JSON object' };
  switch (message['type']) {
    case 'audio':
      return audioOf(message);
    case 'cmd':
      return message['name'] === 'flush' ? { kind: 'flush' } : { kind: 'ignored', what: `cmd ${String(message['name'])}` };
    case 'data':
      return message['name'] === 'text_data' ? transcriptOf(message['data']) : { kind: 'ignored', what: `data ${String(message['name'])}` };
    case 'error':
      return { kind: 'error', error: String(message['error']) };
    default:
      return { kind: 'invalid', problem: `unknown type ${JSON.stringify(message['type'])}` };
  }
}

function audioOf(message: Json): TenMessage {
  const audio = message['audio'];
  if (typeof audio !== 'string') return { kind: 'invalid', problem: 'audio message without base64 audio' };
  const decoded = Buffer.from(audio, 'base64');
  // PCM16: an odd trailing byte is half a sample.
  const pcm = decoded.length % 2 === 0 ? decoded : decoded.subarray(0, decoded.length - 1);
  const rate = isObject(message['metadata']) ? message['metadata']['sample_rate'] : undefined;
  // websocket_server always says; 16 kHz is its configured default when a message does not.
  const sampleRate = typeof rate === 'number' && Number.isInteger(rate) && rate > 0 ? rate : FRAME_SAMPLE_RATE;
  return { kind: 'audio', pcm, sampleRate };
}

/** main_python's transcripts: `data_type: "transcribe"`, role, text, is_final; `data` may come as JSON text. */
function transcriptOf(data: unknown): TenMessage {
  let body = data;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return { kind: 'invalid', problem: 'text_data whose data is not JSON' };
    }
  }
  if (!isObject(body)) return { kind: 'invalid', problem: 'text_data without an object' };
  if (body['data_type'] !== 'transcribe') return { kind: 'ignored', what: `text_data ${String(body['data_type'])}` };
  const { role, text } = body;
  if ((role !== 'user' && role !== 'assistant') || typeof text !== 'string') return { kind: 'invalid', problem: 'transcript without a user or assistant role and a text' };
  return { kind: 'transcript', transcript: { role, text, final: body['is_final'] === true } };
}
