import type { Config } from './config.ts';
import { UpstreamError } from './upstream-error.ts';

/**
 * A client of the TEN agent server's HTTP API (`POST /start`, `/ping`, `/stop`), which answers
 * `{code, msg, data}` with code "0" on success.
 */
export class TenAgentError extends UpstreamError {
  constructor(
    message: string,
    /** The agent server's code ("10001" …), or "unreachable". */
    readonly code: string,
  ) {
    super(message, statusFor(code));
    this.name = 'TenAgentError';
  }
}

/** The console's answer to each agent-server outcome: busy is 429, a state conflict 409, the rest 502. */
function statusFor(code: string): number {
  if (code === '10001') return 429;
  if (code === '10002' || code === '10003') return 409;
  return 502;
}

/** The agent server's error codes, in words a user can act on. */
const EXPLANATIONS: Record<string, string> = {
  '10000': 'The voice agent server refused the request; its graph or settings may be wrong.',
  '10001': 'The voice agent is at its limit of concurrent sessions; try again in a minute.',
  '10002': 'The voice agent is not running in this room.',
  '10003': 'The voice agent is already running in this room.',
  '10100': 'The voice agent could not start on its server; try again, and tell the operators if it keeps failing.',
  '10101': 'The voice agent could not start on its server; try again, and tell the operators if it keeps failing.',
  '10102': 'The voice agent server could not stop the agent; try again.',
};

export interface TenAgentClient {
  start(room: string, requestId: string): Promise<void>;
  ping(room: string, requestId: string): Promise<void>;
  stop(room: string, requestId: string): Promise<void>;
  health(): Promise<void>;
}

const REQUEST_TIMEOUT_MS = 10_000;

export function tenAgentClient(config: Config): TenAgentClient {
  const call = async (path: string, body?: unknown): Promise<void> => {
    let response: Response;
    try {
      response = await fetch(new URL(path, config.TEN_AGENT_URL), {
        method: body === undefined ? 'GET' : 'POST',
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch {
      throw new TenAgentError('The voice agent server cannot be reached right now.', 'unreachable');
    }
    const envelope = (await response.json().catch(() => undefined)) as { code?: unknown; msg?: unknown } | undefined;
    const code = String(envelope?.code ?? response.status);
    if (response.ok && code === '0') return;
    throw new TenAgentError(EXPLANATIONS[code] ?? `The voice agent server answered with an error (${code}).`, code);
  };
  return {
    start: (room, requestId) =>
      call('/start', {
        request_id: requestId,
        channel_name: room,
        graph_name: config.TEN_AGENT_GRAPH,
        timeout: config.TEN_AGENT_TIMEOUT_SECONDS,
        properties: {},
      }),
    ping: (room, requestId) => call('/ping', { request_id: requestId, channel_name: room }),
    stop: (room, requestId) => call('/stop', { request_id: requestId, channel_name: room }),
    health: () => call('/health'),
  };
}
