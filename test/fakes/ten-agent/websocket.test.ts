import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/free-port.ts';
import { GENERATED_TENAPP, generatedProperty, VOICE_AGENT_ENV, VOICE_AGENT_GRAPH, voiceAgentGraph } from '../../helpers/tenapp.ts';
import { startFakeTenAgent, TenWebsocketClient, type FakeTenAgent, type FakeTenWorker } from './index.ts';

/** websocket_server's protocol in a worker of the generated graph, with websocket_server.py's refusals. */

let ten: FakeTenAgent;
beforeAll(async () => {
  ten = await startFakeTenAgent({ tenappDir: GENERATED_TENAPP, env: VOICE_AGENT_ENV, script: { voice: 'chirp' } });
});
afterEach(() => ten.reset());
afterAll(() => ten.close());

async function startSession(channel: string, properties: Record<string, unknown>): Promise<FakeTenWorker> {
  const response = await fetch(`${ten.url}/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ channel_name: channel, graph_name: VOICE_AGENT_GRAPH, properties }),
  });
  expect(await response.json()).toMatchObject({ code: '0' });
  return ten.workers.get(channel)!;
}

describe('websocket_server in a session', () => {
  it('ignores a misspelt node name in properties: the worker listens where the graph says', async () => {
    const defaults = voiceAgentGraph(generatedProperty()).nodes.find((node) => node.name === 'websocket_server')?.property as { host: string; port: number };
    const requested = await freePort();
    const worker = await startSession('misspelt', { websocket_srever: { host: '127.0.0.1', port: requested } });
    expect(await worker.waitFor('websocket_listening')).toMatchObject({ host: defaults.host, port: defaults.port });
    const client = await TenWebsocketClient.connect(`ws://${defaults.host}:${defaults.port}`);
    await client.close();
    await expect(TenWebsocketClient.connect(`ws://127.0.0.1:${requested}`, 300)).rejects.toThrow(/no websocket/);
  });

  it('answers frames it cannot use with {"type":"error"} and keeps the connection', async () => {
    const port = await freePort();
    const worker = await startSession('bad-frames', { websocket_server: { port } });
    const client = await TenWebsocketClient.connect(`ws://127.0.0.1:${port}`);
    const cases: Array<[string, string | RegExp]> = [
      ['not json', /^Invalid JSON: /],
      ['{}', 'Missing required field: "audio" with base64 data'],
      ['{"metadata": {}}', 'Missing required field: "audio" with base64 data'],
      ['5', "Processing error: argument of type 'int' is not iterable"],
      ['null', "Processing error: argument of type 'NoneType' is not iterable"],
      ['["audio"]', 'Invalid base64 audio data: list indices must be integers or slices, not str'],
      ['{"audio": 5}', "Invalid base64 audio data: argument should be a bytes-like object or ASCII string, not 'int'"],
      ['{"audio": "A"}', 'Invalid base64 audio data: Invalid base64-encoded string: number of data characters (1) cannot be 1 more than a multiple of 4'],
      ['{"audio": "AAA"}', 'Invalid base64 audio data: Incorrect padding'],
      ['{"audio": "AAAA", "metadata": "x"}', "Processing error: 'str' object does not support item assignment"],
    ];
    for (const [index, [frame, error]] of cases.entries()) {
      client.send(frame);
      const { message } = await client.waitFor((candidate) => candidate.type === 'error', 5_000, index);
      expect(message.type === 'error' ? message.error : undefined, frame).toMatch(error);
    }
    expect(client.isOpen).toBe(true);
    // A valid frame after all that still goes into the graph: the adapter reports the user.
    client.send(JSON.stringify({ audio: Buffer.alloc(640).toString('base64') }));
    await worker.waitFor('message', (event) => event.name === 'on_user_joined' && event.to.includes('main_control'));
    expect(client.messages.filter(({ message }) => message.type === 'error')).toHaveLength(cases.length);
    await client.close();
  });

  it('sends its JSON as Python json.dumps does', async () => {
    const port = await freePort();
    await startSession('python-json', { websocket_server: { port } });
    const client = await TenWebsocketClient.connect(`ws://127.0.0.1:${port}`);
    client.send('{}');
    await client.waitFor((message) => message.type === 'error');
    expect(client.raw[0]).toBe('{"type": "error", "error": "Missing required field: \\"audio\\" with base64 data"}');
    await client.close();
  });

  it('closes a second client with 1008 after telling it why', async () => {
    const port = await freePort();
    const worker = await startSession('two-clients', { websocket_server: { port } });
    const first = await TenWebsocketClient.connect(`ws://127.0.0.1:${port}`);
    const second = await TenWebsocketClient.connect(`ws://127.0.0.1:${port}`);
    expect(await second.closed).toEqual({ code: 1008, reason: 'Only one connection allowed' });
    expect(second.messages.map(({ message }) => message)).toEqual([{ type: 'error', error: 'Connection rejected: server only accepts one connection at a time' }]);
    expect(first.isOpen).toBe(true);
    await worker.waitFor('client_rejected');
    // Once the first one leaves, another may come.
    await first.close();
    await worker.waitFor('client_disconnected');
    const third = await TenWebsocketClient.connect(`ws://127.0.0.1:${port}`);
    const connected = () => worker.events.filter((event) => event.type === 'client_connected').length;
    for (let wait = 0; connected() < 2 && wait < 50; wait += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(connected()).toBe(2);
    expect(third.isOpen).toBe(true);
    await third.close();
  });
});
