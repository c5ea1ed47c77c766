import { z } from 'zod';
import type { Config } from './config.ts';
import { forwardedRequestId } from './http-request-id.ts';
import { UpstreamError } from './upstream-error.ts';

/**
 * A client of the Jitsi agent bridge's controller API (services/jitsi-agent-bridge):
 * `POST|DELETE|GET /rooms/:room/agent` and the event stream `GET /rooms/:room/agent/events`,
 * with the console's bearer token. The bridge joins the room, runs the TEN session and keeps it
 * alive; the console only asks. Every failure becomes an AgentBridgeError in words a user can
 * act on; the bridge's own details (and never the token) go to the log through `cause`.
 */

/** `lost`: the bridge replica that ran the session is gone, and nobody runs the room until it is started again. */
const agentStates = ['starting', 'active', 'stopping', 'stopped', 'failed', 'lost'] as const;
export type AgentRunState = (typeof agentStates)[number];
/** After these the session is over: its stream ends, and history records the end. */
export const FINAL_STATES: ReadonlySet<AgentRunState> = new Set(['stopped', 'failed', 'lost']);

/** The part of the bridge's RoomState the console uses; anything else it sends is dropped. */
const roomStateSchema = z.object({
  room: z.string(),
  sessionId: z.string().min(1),
  graph: z.string().min(1),
  state: z.enum(agentStates),
  startedAt: z.string(),
  participants: z.array(z.object({ id: z.string(), displayName: z.string() })),
  heard: z.object({ frames: z.number(), lastSpeechAt: z.string().nullable() }),
  lastHeard: z.string().nullable(),
  lastSaid: z.string().nullable(),
  lastError: z.string().nullable(),
});
export type BridgeRoomState = z.output<typeof roomStateSchema>;

/** An agent is in the room (or on its way in or out) until its session reaches a final state. */
export const isRunning = (state: BridgeRoomState | undefined): state is BridgeRoomState => state !== undefined && !FINAL_STATES.has(state.state);

/** One line of what the agent heard (`user`) or said (`assistant`); an interim line is replaced by the next one of its role. */
const transcriptSchema = z.object({
  role: z.enum(['user', 'assistant']),
  text: z.string(),
  final: z.boolean(),
  at: z.union([z.string(), z.number()]).transform((at) => new Date(at).toISOString()),
});
export type TranscriptLine = z.output<typeof transcriptSchema>;

export function parseRoomState(value: unknown): BridgeRoomState | undefined {
  const parsed = roomStateSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

export function parseTranscript(value: unknown): TranscriptLine | undefined {
  const parsed = transcriptSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

export class AgentBridgeError extends UpstreamError {
  constructor(
    message: string,
    status: number,
    /** What went wrong, for callers that act on it: `not-running` is the bridge's 404. */
    readonly reason: 'unreachable' | 'timeout' | 'not-running' | 'unavailable' | 'refused' | 'failed',
    options?: ErrorOptions & { readonly headers?: Readonly<Record<string, string>> },
  ) {
    super(message, status, options);
    this.name = 'AgentBridgeError';
  }
}

export const AGENT_NOT_RUNNING = 'The voice agent is not in this room.';
export const BRIDGE_UNREACHABLE = 'The voice agent service (the agent bridge) cannot be reached right now; try again in a moment.';
const BRIDGE_NOT_UNDERSTOOD = 'The voice agent service answered in a way the console does not understand; tell the operators.';
const BRIDGE_REFUSED_CONSOLE = 'The voice agent service refused the console; its operators need to check the console\u2019s bridge token and address.';

/**
 * How long each call may take. A start returns once the agent is in the room and its TEN worker
 * answered, which the bridge bounds by its own connect deadline (TEN_CONNECT_TIMEOUT_SECONDS,
 * 30 s by default) plus the join; a stop waits for TEN's /stop and for leaving the room.
 */
const TIMEOUT_MS = { start: 75_000, stop: 30_000, state: 5_000, events: 10_000 } as const;
/** The bridge sends a heartbeat every 15 s: a stream silent for three of them is dead. */
export const EVENTS_IDLE_MS = 45_000;
/** Used when a 503 comes without a Retry-After the console can pass on. */
const DEFAULT_RETRY_AFTER_SECONDS = '30';

export interface AgentBridgeClient {
  /** Puts the agent into the room; `created` is false when it was already there (the bridge is idempotent). */
  start(room: string): Promise<{ state: BridgeRoomState; created: boolean }>;
  /** Takes the agent out of the room; undefined when it was not there. */
  stop(room: string): Promise<BridgeRoomState | undefined>;
  /** The agent in the room; undefined when there is none. */
  state(room: string): Promise<BridgeRoomState | undefined>;
  /** The room's event stream (`text/event-stream`); `signal` ends it. Rejects with `not-running` when there is no agent. */
  events(room: string, signal: AbortSignal): Promise<ReadableStream<Uint8Array>>;
}

/** The bridge's `{"error": "<sentence>"}`, when it sent one that is fit to show. */
async function bridgeSentence(response: Response, token: string): Promise<string | undefined> {
  const body = (await response.json().catch(() => undefined)) as { error?: unknown } | undefined;
  const sentence = body?.error;
  if (typeof sentence !== 'string' || sentence.trim() === '' || sentence.length > 300) return undefined;
  // The bridge never echoes its token; if it ever did, it would not reach a user from here.
  return sentence.includes(token) ? undefined : sentence.trim();
}

/** A Retry-After the console can pass on: whole seconds only (an HTTP date is not worth the risk of a wrong clock). */
function retryAfter(response: Response): string {
  const value = response.headers.get('retry-after')?.trim() ?? '';
  return /^\d{1,5}$/.test(value) ? value : DEFAULT_RETRY_AFTER_SECONDS;
}

/** A refusal of the bridge, in the console's words; the bridge's status and sentence stay in `cause` for the log. */
async function refusal(response: Response, token: string): Promise<AgentBridgeError> {
  const sentence = await bridgeSentence(response, token);
  const cause = new Error(`agent bridge answered ${response.status}${sentence !== undefined ? `: ${sentence}` : ''}`);
  const { status } = response;
  if (status === 404) return new AgentBridgeError(AGENT_NOT_RUNNING, 404, 'not-running', { cause });
  // At capacity (its rooms, its ports, its browser, TEN's workers) or draining before a restart;
  // its Retry-After says when to ask again. The bridge's sentence is for operators (it names
  // settings), so it goes to the log.
  if (status === 503) {
    const wait = retryAfter(response);
    const what = sentence?.includes('draining') === true ? 'is restarting and takes no new rooms' : 'is at capacity';
    return new AgentBridgeError(`The voice agent service ${what}; try again in ${wait} seconds.`, 503, 'unavailable', { cause, headers: { 'retry-after': wait } });
  }
  if (status === 409) return new AgentBridgeError('The voice agent was stopped before it was in the room.', 409, 'failed', { cause });
  // Our token, Host or Origin is not what the bridge accepts: nothing a user can fix.
  if (status === 401 || status === 403 || status === 421) return new AgentBridgeError(BRIDGE_REFUSED_CONSOLE, 502, 'refused', { cause });
  if (status === 400 && sentence !== undefined) return new AgentBridgeError(`The voice agent service refused the room: ${sentence}`, 400, 'refused', { cause });
  // The room or TEN failed (502), which the bridge says in words worth showing: what to check.
  if (status === 502 && sentence !== undefined) return new AgentBridgeError(`The voice agent could not join the room: ${sentence}`, 502, 'failed', { cause });
  return new AgentBridgeError('The voice agent service failed; try again in a moment, and tell the operators if it keeps failing.', 502, 'failed', { cause });
}

function transportFailure(error: unknown, seconds: number): AgentBridgeError {
  const name = (error as { name?: unknown } | undefined)?.name;
  if (name === 'TimeoutError') {
    return new AgentBridgeError(`The voice agent service did not answer within ${seconds} s; the agent may still be on its way, so check its state in a moment.`, 504, 'timeout', { cause: error });
  }
  return new AgentBridgeError(BRIDGE_UNREACHABLE, 502, 'unreachable', { cause: error });
}

export function agentBridgeClient(config: Config): AgentBridgeClient {
  const token = config.AGENT_BRIDGE_TOKEN;
  const agentPath = (room: string) => `/rooms/${encodeURIComponent(room)}/agent`;

  const request = async (method: string, path: string, timeoutMs: number, signal?: AbortSignal): Promise<Response> => {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      return await fetch(new URL(path, config.AGENT_BRIDGE_URL), {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...forwardedRequestId() },
        signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]),
        redirect: 'error',
      });
    } catch (error) {
      throw transportFailure(error, timeoutMs / 1000);
    }
  };

  const roomState = async (response: Response): Promise<BridgeRoomState> => {
    const state = parseRoomState(await response.json().catch(() => undefined));
    if (state === undefined) throw new AgentBridgeError(BRIDGE_NOT_UNDERSTOOD, 502, 'failed', { cause: new Error(`agent bridge sent a RoomState the console cannot read (status ${response.status})`) });
    return state;
  };

  return {
    async start(room) {
      const response = await request('POST', agentPath(room), TIMEOUT_MS.start);
      if (response.status !== 200 && response.status !== 201) throw await refusal(response, token);
      return { state: await roomState(response), created: response.status === 201 };
    },
    async stop(room) {
      const response = await request('DELETE', agentPath(room), TIMEOUT_MS.stop);
      if (response.status === 404) {
        await response.body?.cancel();
        return undefined;
      }
      if (!response.ok) throw await refusal(response, token);
      return roomState(response);
    },
    async state(room) {
      const response = await request('GET', agentPath(room), TIMEOUT_MS.state);
      if (response.status === 404) {
        await response.body?.cancel();
        return undefined;
      }
      if (!response.ok) throw await refusal(response, token);
      return roomState(response);
    },
    async events(room, signal) {
      // Only the wait for the stream to open is bounded here; the caller watches the stream for silence.
      const opening = new AbortController();
      const timer = setTimeout(() => opening.abort(new DOMException('the event stream did not open', 'TimeoutError')), TIMEOUT_MS.events);
      let response: Response;
      try {
        response = await fetch(new URL(`${agentPath(room)}/events`, config.AGENT_BRIDGE_URL), {
          headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...forwardedRequestId() },
          signal: AbortSignal.any([signal, opening.signal]),
          redirect: 'error',
        });
      } catch (error) {
        throw transportFailure(error, TIMEOUT_MS.events / 1000);
      } finally {
        clearTimeout(timer);
      }
      if (!response.ok) throw await refusal(response, token);
      if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream') || response.body === null) {
        await response.body?.cancel();
        throw new AgentBridgeError(BRIDGE_NOT_UNDERSTOOD, 502, 'failed', { cause: new Error(`agent bridge events answered ${response.headers.get('content-type') ?? 'no content type'}`) });
      }
      return response.body;
    },
  };
}
