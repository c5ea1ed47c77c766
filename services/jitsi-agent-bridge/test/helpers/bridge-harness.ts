import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { startBridge, type Bridge } from '../../src/app.ts';
import { loadConfig, type Config, type ConfigInput } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import type { RoomJoiner } from '../../src/room-joiner.ts';
import type { RoomState } from '../../src/room-session.ts';
import { freePortRange } from './ports.ts';

/**
 * The real bridge in-process for a test: its configuration parsed from variables as main.ts
 * parses them, its logs captured as JSON lines, and a small client of its API.
 */

export const ALLOWED_ORIGIN = 'http://console.test';

/** Variables for a bridge on loopback against a TEN at `tenUrl` (all values made up). */
export async function bridgeEnv(tenUrl: string, overrides: ConfigInput = {}, workerPorts = 4): Promise<ConfigInput> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    BRIDGE_API_TOKEN: `bridge-token-${randomBytes(24).toString('hex')}`,
    BRIDGE_ALLOWED_HOSTS: '127.0.0.1,localhost',
    BRIDGE_ALLOWED_ORIGINS: ALLOWED_ORIGIN,
    TEN_AGENT_URLS: tenUrl,
    TEN_WORKER_BIND_HOST: '127.0.0.1',
    TEN_WORKER_PORTS: (await freePortRange(workerPorts)).text,
    TEN_SESSION_TIMEOUT_SECONDS: '60',
    // Generous: worker processes boot slowly on a loaded machine.
    TEN_CONNECT_TIMEOUT_SECONDS: '45',
    JITSI_URL: 'http://jitsi-web.test',
    JITSI_JWT_APP_ID: 'voice-agent',
    JITSI_JWT_AUDIENCE: 'voice-agent',
    JITSI_JWT_SUBJECT: 'meet.jitsi',
    JWT_APP_SECRET: `jitsi-secret-${randomBytes(16).toString('hex')}`,
    EMPTY_ROOM_GRACE_SECONDS: '30',
    DRAIN_TIMEOUT_SECONDS: '10',
    LOG_LEVEL: 'debug',
    ...overrides,
  };
}

/** Log lines captured from a pino logger, parsed. */
export class LogCapture {
  readonly text: string[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      this.text.push(...String(chunk).split('\n').filter((line) => line !== ''));
      done();
    },
  });

  get lines(): Array<Record<string, unknown>> {
    return this.text.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Messages so far, for a failure's description. */
  summary(): string {
    return this.lines.map((line) => `${String(line['msg'])}${line['room'] === undefined ? '' : ` [${String(line['room'])}]`}`).join(' | ');
  }
}

export interface TestBridge {
  readonly bridge: Bridge;
  readonly config: Config;
  readonly env: ConfigInput;
  readonly logs: LogCapture;
  readonly api: BridgeApi;
  close(): Promise<void>;
}

export async function startTestBridge(joiner: RoomJoiner, env: ConfigInput, options: { heartbeatMs?: number } = {}): Promise<TestBridge> {
  const config = loadConfig(env);
  const logs = new LogCapture();
  const logger = createLogger(config.LOG_LEVEL, logs.stream);
  const bridge = await startBridge({ config, joiner, logger, ...options });
  const api = new BridgeApi(bridge.url, config.BRIDGE_API_TOKEN);
  return { bridge, config, env, logs, api, close: () => bridge.close() };
}

export interface ApiReply<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/** A client of the bridge's HTTP API as the console's server side calls it. */
export class BridgeApi {
  readonly url: string;
  private readonly token: string;

  constructor(url: string, token: string) {
    this.url = url;
    this.token = token;
  }

  async request<T = unknown>(method: string, path: string, headers: Record<string, string> = {}): Promise<ApiReply<T>> {
    const response = await fetch(`${this.url}${path}`, { method, headers: { authorization: `Bearer ${this.token}`, ...headers } });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (the metrics text): kept as text.
    }
    return { status: response.status, headers: response.headers, body: body as T };
  }

  start(room: string) {
    return this.request<RoomState & { error?: string }>('POST', `/rooms/${room}/agent`);
  }

  stop(room: string) {
    return this.request<RoomState & { error?: string }>('DELETE', `/rooms/${room}/agent`);
  }

  state(room: string) {
    return this.request<RoomState & { error?: string }>('GET', `/rooms/${room}/agent`);
  }

  list() {
    return this.request<{ rooms: RoomState[]; capacity: { roomsMax: number; rooms: number; accepting: boolean; draining: boolean } }>('GET', '/rooms');
  }
}
