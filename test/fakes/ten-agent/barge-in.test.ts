import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/free-port.ts';
import { derivedTenapp, GENERATED_TENAPP, VOICE_AGENT_ENV, VOICE_AGENT_GRAPH, voiceAgentGraph } from '../../helpers/tenapp.ts';
import { startFakeTenAgent, synthesize, TenWebsocketClient, type FakeTenAgent, type FakeTenScript, type FakeTenWorker, type TenServerMessage } from './index.ts';

/**
 * Barge-in through the graph: main_python interrupts by sending cmd flush to the node named
 * agora_rtc. In our generated graph that node is the websocket session adapter, which passes it
 * to websocket_server, so the client is told to drop the answer; without it nothing tells the client.
 */

const QUESTION = 'What will the weather be like tomorrow?';
const INTERRUPTION = 'Stop, that is enough.';
const ANSWER = 'Tomorrow will be sunny in the morning. Clouds come in after lunch. Expect light rain in the evening, so take an umbrella.';
const SCRIPT: FakeTenScript = { transcripts: [QUESTION, INTERRUPTION], answers: [ANSWER, 'Okay.'] };

let firstQuestion: Buffer;
let interruption: Buffer;
beforeAll(async () => {
  firstQuestion = await synthesize(QUESTION);
  interruption = await synthesize(INTERRUPTION);
});

interface Conversation {
  readonly worker: FakeTenWorker;
  readonly client: TenWebsocketClient;
  /** Index of the first message after the interruption began. */
  readonly interruptedAt: number;
  /** The user's final transcript of the interruption. */
  readonly finalIndex: number;
}

/** Asks a question, lets the answer play for a while, then talks over it until the STT's final result. */
async function converse(ten: FakeTenAgent, channel: string, greets: boolean): Promise<Conversation> {
  const port = await freePort();
  const response = await fetch(`${ten.url}/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ channel_name: channel, graph_name: VOICE_AGENT_GRAPH, properties: { websocket_server: { port } } }),
  });
  expect(await response.json()).toMatchObject({ code: '0' });
  const worker = ten.workers.get(channel)!;
  const client = await TenWebsocketClient.connect(`ws://127.0.0.1:${port}`);
  client.startMicrophone();
  if (greets) await worker.waitFor('speech_finished', (event) => event.text === VOICE_AGENT_ENV['AGENT_GREETING']);
  await client.say(firstQuestion);
  const answerStarted = await worker.waitFor('speech_started', (event) => ANSWER.startsWith(event.text));
  // Let the answer's audio reach the client for a while before talking over it.
  const answerAudio = client.messages.length;
  await client.waitFor((message) => message.type === 'audio', 5_000, answerAudio);
  await new Promise((resolve) => setTimeout(resolve, 800));
  expect(answerStarted.text).not.toBe('');
  const interruptedAt = client.messages.length;
  await client.say(interruption);
  const final = await client.waitFor(
    (message) => message.type === 'data' && message.data['role'] === 'user' && message.data['is_final'] === true && message.data['text'] === INTERRUPTION,
    10_000,
    interruptedAt,
  );
  return { worker, client, interruptedAt, finalIndex: client.messages.indexOf(final) };
}

const isFlush = (message: TenServerMessage) => message.type === 'cmd' && message.name === 'flush';

describe('barge-in through the generated graph', () => {
  let ten: FakeTenAgent;
  beforeAll(async () => {
    ten = await startFakeTenAgent({ tenappDir: GENERATED_TENAPP, env: VOICE_AGENT_ENV, script: SCRIPT });
  });
  afterAll(() => ten.close());

  it('tells the client to flush when the user talks over the answer, and the answer stops', async () => {
    const { worker, client, interruptedAt, finalIndex } = await converse(ten, 'barge-in', true);
    const flushIndex = client.messages.findIndex((received, index) => index >= interruptedAt && isFlush(received.message));
    expect(flushIndex, client.summary()).toBeGreaterThan(-1);
    expect(flushIndex).toBeLessThan(finalIndex);
    expect(client.messages[flushIndex]!.message).toMatchObject({ type: 'cmd', name: 'flush' });
    // Audio was playing when the user started, and none came between the flush and the end of the user's turn.
    expect(client.messages.slice(interruptedAt, flushIndex).some(({ message }) => message.type === 'audio')).toBe(true);
    expect(client.messages.slice(flushIndex, finalIndex).filter(({ message }) => message.type === 'audio')).toEqual([]);

    // The flush went main_control → agora_rtc (explicit) → websocket_server (routed by the graph).
    expect(worker.events).toContainEqual({ type: 'message', kind: 'cmd', name: 'flush', from: 'main_control', to: ['agora_rtc'], explicit: true, missing: [] });
    expect(worker.events).toContainEqual({ type: 'message', kind: 'cmd', name: 'flush', from: 'agora_rtc', to: ['websocket_server'], explicit: false, missing: [] });
    const flushed = worker.events.filter((event) => event.type === 'speech_flushed' && event.text !== undefined);
    expect(flushed.length).toBeGreaterThan(0);
    const finished = worker.events.filter((event) => event.type === 'speech_finished').map((event) => (event as { text: string }).text);
    for (const event of flushed) expect(finished).not.toContain((event as { text: string }).text);

    // Transcripts as main_python sends them through websocket_server.
    expect(client.messages[finalIndex]!.message).toMatchObject({
      type: 'data',
      name: 'text_data',
      data: { data_type: 'transcribe', role: 'user', text: INTERRUPTION, is_final: true, stream_id: 100 },
    });
    expect(client.messages.some(({ message }) => message.type === 'data' && message.data['role'] === 'assistant' && message.data['text'] === VOICE_AGENT_ENV['AGENT_GREETING'])).toBe(true);
    // The agent answers the interruption afterwards.
    await client.waitFor((message) => message.type === 'audio', 10_000, finalIndex);
    await client.close();
  });
});

describe('the same graph without the agora_rtc node', () => {
  let ten: FakeTenAgent;
  let tenappDir: string;
  beforeAll(async () => {
    // TEN's own websocket example: websocket_server's audio straight to stt, no session adapter.
    tenappDir = derivedTenapp((property) => {
      const graph = voiceAgentGraph(property);
      graph.nodes = graph.nodes.filter((node) => node.name !== 'agora_rtc');
      graph.connections = graph.connections
        .filter((connection) => connection.extension !== 'agora_rtc')
        .map((connection) => (connection.extension === 'websocket_server' ? { extension: 'websocket_server', audio_frame: [{ name: 'pcm_frame', dest: [{ extension: 'stt' }] }] } : connection));
    });
    ten = await startFakeTenAgent({ tenappDir, env: VOICE_AGENT_ENV, script: SCRIPT });
  });
  afterAll(async () => {
    await ten.close();
    rmSync(tenappDir, { recursive: true, force: true });
  });

  it('never flushes the client: main_python sends flush to a node that is not there', async () => {
    const { worker, client, finalIndex } = await converse(ten, 'no-adapter', false);
    // The TTS did stop...
    expect(worker.events.some((event) => event.type === 'speech_flushed' && event.text !== undefined)).toBe(true);
    // ...but the flush went nowhere, and the client, which may hold seconds of audio, was not told.
    expect(worker.events).toContainEqual({ type: 'message', kind: 'cmd', name: 'flush', from: 'main_control', to: [], explicit: true, missing: ['agora_rtc'] });
    expect(client.messages.filter(({ message }) => isFlush(message))).toEqual([]);
    // No adapter, no on_user_joined, no greeting.
    expect(worker.events.some((event) => event.type === 'message' && event.name === 'on_user_joined')).toBe(false);
    expect(client.messages.slice(0, finalIndex).some(({ message }) => message.type === 'audio')).toBe(true);
    await client.close();
  });
});
