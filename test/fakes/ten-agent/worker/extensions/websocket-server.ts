import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { AudioFrame, Cmd, Data, Extension, ExtensionContext, Respond } from '../runtime.ts';
import { pythonB64decode, pythonJsonDumps, pythonTypeName } from './python-semantics.ts';
import { CONTAINER_ADDRESS_VARIABLE } from '../protocol.ts';

/**
 * TEN's `websocket_server` extension (`ai_agents/agents/ten_packages/extension/websocket_server`:
 * extension.py, websocket_server.py, config.py): one websocket client at a time on the node's
 * host and port, base64 PCM16 in JSON both ways.
 * - in: `{"audio": "<base64>", "metadata"?: {…}}` becomes audio frame `pcm_frame` (routed by the
 *   graph) with the metadata plus `client_id`; anything else is answered `{"type":"error"}` and
 *   the connection stays open;
 * - out: audio frames as `{"type":"audio","audio","metadata"}`, data `text_data` as
 *   `{"type":"data","name","data"}` (other data is not forwarded), every cmd as
 *   `{"type":"cmd","name","data"}`;
 * - a second client gets an error message and close code 1008.
 */

interface Config {
  readonly host: string;
  readonly port: number;
  readonly sampleRate: number;
  readonly channels: number;
  readonly bytesPerSample: number;
}

export function websocketServer(context: ExtensionContext): Extension {
  let server: WebSocketServer | undefined;
  let current: WebSocket | undefined;
  let config: Config | undefined;

  const send = (message: unknown) => {
    if (current !== undefined && current.readyState === current.OPEN) current.send(pythonJsonDumps(message));
  };
  const sendError = (socket: WebSocket, error: string) => {
    if (socket.readyState === socket.OPEN) socket.send(pythonJsonDumps({ type: 'error', error }));
  };

  const receive = (socket: WebSocket, message: RawData, client: string) => {
    const text = Buffer.isBuffer(message) ? message.toString('utf8') : Array.isArray(message) ? Buffer.concat(message).toString('utf8') : Buffer.from(message).toString('utf8');
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      return sendError(socket, `Invalid JSON: ${(error as Error).message}`);
    }
    // `"audio" not in data`, with Python's meaning of `in` for each JSON type.
    if (typeof data === 'number' || typeof data === 'boolean' || data === null) {
      return sendError(socket, `Processing error: argument of type '${pythonTypeName(data)}' is not iterable`);
    }
    const hasAudio = Array.isArray(data) ? data.includes('audio') : typeof data === 'string' ? data.includes('audio') : 'audio' in (data as object);
    if (!hasAudio) return sendError(socket, 'Missing required field: "audio" with base64 data');
    if (typeof data === 'string') return sendError(socket, 'Invalid base64 audio data: string indices must be integers');
    if (Array.isArray(data)) return sendError(socket, 'Invalid base64 audio data: list indices must be integers or slices, not str');
    const object = data as Record<string, unknown>;
    const decoded = pythonB64decode(object['audio']);
    if ('error' in decoded) return sendError(socket, `Invalid base64 audio data: ${decoded.error}`);
    const metadata = 'metadata' in object ? object['metadata'] : {};
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      const reason = Array.isArray(metadata) ? 'list indices must be integers or slices, not str' : `'${pythonTypeName(metadata)}' object does not support item assignment`;
      return sendError(socket, `Processing error: ${reason}`);
    }
    if (config === undefined) return;
    const frame: AudioFrame = {
      name: 'pcm_frame',
      pcm: decoded.bytes,
      sampleRate: config.sampleRate,
      channels: config.channels,
      bytesPerSample: config.bytesPerSample,
      metadata: { ...(metadata as Record<string, unknown>), client_id: client },
    };
    context.sendAudioFrame(frame);
  };

  return {
    async start() {
      const loaded = loadConfig(context.property);
      if ('error' in loaded) {
        context.log(`Failed to load configuration: ${loaded.error}`);
        context.emit({ type: 'websocket_failed', error: loaded.error });
        return;
      }
      config = loaded;
      const { host, port } = loaded;
      await new Promise<void>((resolve) => {
        const wss = new WebSocketServer({ host, port });
        wss.once('listening', () => {
          server = wss;
          context.log(`WebSocket server started on ws://${host}:${port}`);
          context.emit({ type: 'websocket_listening', host, port });
          resolve();
        });
        wss.once('error', (error) => {
          context.log(`Failed to start WebSocket server: ${error.message}`);
          context.emit({ type: 'websocket_failed', error: error.message });
          resolve();
        });
        wss.on('connection', (socket, request) => {
          const client = `${request.socket.remoteAddress ?? ''}:${request.socket.remotePort ?? ''}`;
          if (current !== undefined) {
            context.emit({ type: 'client_rejected', client });
            sendError(socket, 'Connection rejected: server only accepts one connection at a time');
            socket.close(1008, 'Only one connection allowed');
            return;
          }
          current = socket;
          context.emit({ type: 'client_connected', client });
          socket.on('message', (message) => receive(socket, message, client));
          socket.on('close', () => {
            if (current === socket) current = undefined;
            context.emit({ type: 'client_disconnected', client });
          });
          socket.on('error', () => undefined);
        });
      });
    },
    async stop() {
      current?.close();
      current = undefined;
      await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    },
    onAudioFrame(frame: AudioFrame) {
      send({
        type: 'audio',
        audio: frame.pcm.toString('base64'),
        metadata: {
          ...(frame.metadata ?? {}),
          sample_rate: frame.sampleRate,
          channels: frame.channels,
          bytes_per_sample: frame.bytesPerSample,
          samples_per_channel: Math.floor(frame.pcm.length / (frame.bytesPerSample * frame.channels)),
        },
      });
    },
    onData(data: Data) {
      if (data.name === 'text_data') send({ type: 'data', name: data.name, data: data.properties });
    },
    onCmd(cmd: Cmd, respond: Respond) {
      // The real `data` is json.loads(cmd.to_json()): the cmd's properties plus TEN's own `_ten`
      // section, whose exact fields the fake does not reproduce.
      send({ type: 'cmd', name: cmd.name, data: { ...cmd.properties, _ten: { type: 'cmd', name: cmd.name } } });
      respond({ ok: true, properties: {}, final: true });
    },
  };
}

/** WebSocketServerConfig (pydantic, lax) and its validate_config. */
function loadConfig(property: Readonly<Record<string, unknown>>): Config | { error: string } {
  const integer = (key: string, fallback: number): number | { error: string } => {
    const value = property[key] ?? fallback;
    const number = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
    return typeof number === 'number' && Number.isInteger(number) ? number : { error: `${key}: Input should be a valid integer` };
  };
  const asked = property['host'] ?? '0.0.0.0';
  if (typeof asked !== 'string') return { error: 'host: Input should be a valid string' };
  // Every interface of the fake server's "container" is its one address (see the server's `address`).
  const host = (asked === '::' || asked === '0.0.0.0') && process.env[CONTAINER_ADDRESS_VARIABLE] ? (process.env[CONTAINER_ADDRESS_VARIABLE] as string) : asked;
  const values = [integer('port', 8765), integer('sample_rate', 16000), integer('channels', 1), integer('bytes_per_sample', 2)] as const;
  for (const value of values) if (typeof value !== 'number') return value;
  const [port, sampleRate, channels, bytesPerSample] = values as unknown as [number, number, number, number];
  if (port < 1 || port > 65535) return { error: `Invalid port number: ${port}` };
  if (sampleRate <= 0) return { error: `Invalid sample rate: ${sampleRate}` };
  if (channels <= 0) return { error: `Invalid number of channels: ${channels}` };
  if (![1, 2, 4].includes(bytesPerSample)) return { error: `Invalid bytes_per_sample: ${bytesPerSample} (must be 1, 2, or 4)` };
  return { host, port, sampleRate, channels, bytesPerSample };
}
