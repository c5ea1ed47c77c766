import { BridgeError, RETRY_AFTER_SECONDS } from './bridge-error.ts';

/**
 * TEN's agent server API (`ai_agents/server`): /start, /ping, /stop. Every reply is HTTP 200
 * with `{code, data, msg}`, errors included, so the outcome is read from `code` ("0" = ok).
 */

/** What each of the server's codes means, in words a person running the stack can act on. */
const CODE_WORDS: Readonly<Record<string, string>> = {
  '10000': 'TEN refused the request as malformed (10000 params invalid)',
  '10001': 'TEN is at its workers limit (10001 workers limit): raise WORKERS_MAX on the ten-agent service or stop a session',
  '10002': 'TEN has no session for this room (10002 channel not existed)',
  '10003': 'TEN already runs a session for this room (10003 channel existed): stop it on the ten-agent service first',
  '10004': 'TEN was sent an empty channel name (10004 channel empty)',
  '10100': 'TEN could not prepare the session (10100 process property failed): see the ten-agent logs',
  '10101': 'TEN could not start the worker process (10101 start worker failed): see the ten-agent logs',
  '10102': 'TEN could not stop the worker process (10102 stop worker failed)',
};

export const TEN_CODE = { ok: '0', workersLimit: '10001', channelNotExisted: '10002', channelExisted: '10003' } as const;

/** A failed call of TEN's API; `code` is TEN's own code, or undefined when no envelope came back. */
export class TenError extends BridgeError {
  readonly call: string;
  readonly code: string | undefined;

  constructor(call: string, code: string | undefined, message: string) {
    // TEN at its limit is a capacity problem a client can retry; anything else is TEN failing us.
    super(code === TEN_CODE.workersLimit ? 503 : 502, message, 'ten', code === TEN_CODE.workersLimit ? RETRY_AFTER_SECONDS : undefined);
    this.name = 'TenError';
    this.call = call;
    this.code = code;
  }
}

/** A call that takes longer is treated as TEN being unreachable (a /stop waits up to ~2 s for the worker). */
const CALL_TIMEOUT_MS = 10_000;

export interface TenStartRequest {
  readonly requestId: string;
  readonly channel: string;
  readonly graph: string;
  readonly timeoutSeconds: number;
  /** websocket_server's host and port for this session. */
  readonly websocketHost: string;
  readonly websocketPort: number;
}

export class TenClient {
  private readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl;
  }

  async start(request: TenStartRequest): Promise<void> {
    await this.call('/start', {
      request_id: request.requestId,
      channel_name: request.channel,
      graph_name: request.graph,
      timeout: request.timeoutSeconds,
      properties: { websocket_server: { host: request.websocketHost, port: request.websocketPort } },
    }, (code) =>
      // processProperty fails this way above all when the tenapp has no graph of that name.
      code === '10100' ? `TEN could not prepare the session (10100 process property failed): is graph "${request.graph}" (TEN_AGENT_GRAPH) in the tenapp's property.json?` : undefined,
    );
  }

  async ping(channel: string, requestId: string): Promise<void> {
    await this.call('/ping', { request_id: requestId, channel_name: channel });
  }

  async stop(channel: string, requestId: string): Promise<void> {
    await this.call('/stop', { request_id: requestId, channel_name: channel });
  }

  /** `explain` may word a code better for this call than the general table does. */
  private async call(path: string, body: Record<string, unknown>, explain: (code: string) => string | undefined = () => undefined): Promise<void> {
    const call = `POST ${path}`;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new TenError(call, undefined, `TEN agent server at ${this.baseUrl} is unreachable (${call}: ${cause})`);
    }
    const text = await response.text().catch(() => '');
    if (response.status !== 200) {
      // The agent server answers 200 for every handled request; anything else is a crash (gin's
      // recovery answers an empty 500) or something else listening there.
      throw new TenError(call, undefined, `TEN agent server answered ${call} with HTTP ${response.status}${text === '' ? ' and no body' : ''} (it answers 200 to every request it handles)`);
    }
    let envelope: { code?: unknown; msg?: unknown };
    try {
      envelope = JSON.parse(text) as { code?: unknown; msg?: unknown };
    } catch {
      throw new TenError(call, undefined, `TEN agent server answered ${call} with something that is not its JSON envelope`);
    }
    const code = typeof envelope.code === 'string' ? envelope.code : String(envelope.code);
    if (code === TEN_CODE.ok) return;
    const words = explain(code) ?? CODE_WORDS[code] ?? `TEN answered code ${code} (${typeof envelope.msg === 'string' ? envelope.msg : 'no message'})`;
    throw new TenError(call, code, `${words} [${call}]`);
  }
}
