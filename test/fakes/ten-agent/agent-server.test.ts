import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { derivedTenapp, GENERATED_TENAPP, generatedProperty, VOICE_AGENT_ENV, VOICE_AGENT_GRAPH, voiceAgentGraph, type TenPropertyJson } from '../../helpers/tenapp.ts';
import { freePort } from '../../helpers/free-port.ts';
import { startFakeTenAgent, TEN_CODES, type FakeTenAgent, type FakeTenWorker, type WorkerExit } from './index.ts';

/** The agent server's /start as TEN's processProperty and worker_linux.go do it, on our generated tenapp. */

async function post(ten: FakeTenAgent, path: string, body: unknown): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(`${ten.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How the worker ended, failing the test if it has not within `ms`. */
async function exitOf(worker: FakeTenWorker, ms = 10_000): Promise<WorkerExit> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`worker "${worker.channelName}" still runs after ${ms} ms`)), ms)));
  try {
    return await Promise.race([worker.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function listedChannels(text: string): string[] {
  return ((JSON.parse(text) as { data: Array<{ channelName: string } | null> }).data ?? []).filter((entry) => entry !== null).map((entry) => entry.channelName);
}

function nodesOf(file: string): Record<string, Record<string, unknown> | undefined> {
  const property = JSON.parse(readFileSync(file, 'utf8')) as TenPropertyJson;
  return Object.fromEntries(voiceAgentGraph(property).nodes.map((node) => [node.name, node.property]));
}

describe('POST /start on the generated tenapp', () => {
  let ten: FakeTenAgent;
  beforeAll(async () => {
    ten = await startFakeTenAgent({ tenappDir: GENERATED_TENAPP, env: VOICE_AGENT_ENV, script: { voice: 'chirp' } });
  });
  afterEach(() => ten.reset());
  afterAll(() => ten.close());

  it('lists the generated graph as /graphs does', async () => {
    const graphs = await fetch(`${ten.url}/graphs`).then((response) => response.json());
    expect(graphs).toEqual({ code: '0', msg: 'success', data: [{ name: VOICE_AGENT_GRAPH, graph_id: VOICE_AGENT_GRAPH, auto_start: false }] });
  });

  it('writes property-<channel>-<ts>.json under LOG_PATH: the one graph, auto-started, with the overrides merged', async () => {
    const port = await freePort();
    const start = await post(ten, '/start', {
      channel_name: 'room:1',
      graph_name: VOICE_AGENT_GRAPH,
      user_uid: 42,
      bot_uid: 7,
      properties: {
        websocket_server: { port },
        stt: { params: { model: 'nova-2' } },
        llm: { max_tokens: 100, prompt: 'a <b> & c' },
        tts: { channel: 'set-by-the-request' },
        no_such_node: { anything: true },
      },
    });
    expect(JSON.parse(start.text)).toEqual({ code: '0', msg: 'success', data: null });
    const worker = ten.workers.get('room:1');
    expect(worker).toBeDefined();
    // sanitizeChannelName turns ':' into '_'; Go's layout "_000" is literal text.
    expect(worker!.propertyFile).toMatch(new RegExp(`^${ten.logPath}/property-room_1-\\d{8}_\\d{6}_000\\.json$`));
    expect(readdirSync(ten.logPath)).toContain(worker!.propertyFile.slice(ten.logPath.length + 1));

    const text = readFileSync(worker!.propertyFile, 'utf8');
    const written = JSON.parse(text) as TenPropertyJson;
    expect(written.ten.predefined_graphs.map((graph) => [graph.name, graph.auto_start])).toEqual([[VOICE_AGENT_GRAPH, true]]);
    // Go's MarshalIndent: sorted keys, HTML characters escaped.
    expect(text).toContain('"prompt": "a \\u003cb\\u003e \\u0026 c"');
    expect(text.indexOf('"log"')).toBeLessThan(text.indexOf('"predefined_graphs"'));

    const before = Object.fromEntries(voiceAgentGraph(generatedProperty()).nodes.map((node) => [node.name, node.property]));
    const after = nodesOf(worker!.propertyFile);
    expect(after['websocket_server']).toEqual({ ...before['websocket_server'], port });
    // A map merges into the node's map; the other keys stay.
    expect(after['stt']).toEqual({ params: { ...(before['stt']?.['params'] as object), model: 'nova-2' } });
    expect(after['llm']).toEqual({ ...before['llm'], max_tokens: 100, prompt: 'a <b> & c' });
    // Every node with a `channel` property gets the channel, whatever the request put there.
    expect(after['tts']).toEqual({ ...before['tts'], channel: 'room:1' });
    // startPropMap writes into the node named agora_rtc; no certificate, so no token.
    expect(after['agora_rtc']).toEqual({ channel: 'room:1', remote_stream_id: 42, stream_id: 7 });
    // The misspelt key named no node: nothing else changed.
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const name of ['main_control', 'mcp_client']) expect(after[name]).toEqual(before[name]);
  });

  it('injects the uids even when the request leaves them out (Go compares a number with "")', async () => {
    // Its own port: a worker on the graph's default 8765 would collide with websocket.test.ts's misspelt-override worker.
    const properties = { websocket_server: { port: await freePort() } };
    expect(JSON.parse((await post(ten, '/start', { channel_name: 'no-uids', graph_name: VOICE_AGENT_GRAPH, properties })).text).code).toBe('0');
    expect(nodesOf(ten.workers.get('no-uids')!.propertyFile)['agora_rtc']).toEqual({ channel: 'no-uids', remote_stream_id: 0, stream_id: 0 });
  });

  it('refuses an unknown graph with 10100 and starts nothing', async () => {
    const start = await post(ten, '/start', { channel_name: 'unknown-graph', graph_name: 'voice_assistant' });
    expect(start.status).toBe(200);
    expect(JSON.parse(start.text)).toEqual({ code: TEN_CODES.processPropertyFailed.code, msg: 'process property json failed', data: 500 });
    expect(ten.workers.size).toBe(0);
    expect(readdirSync(ten.logPath).filter((name) => name.includes('unknown-graph'))).toEqual([]);
  });

  it('panics where TEN asserts a map: gin recovers with HTTP 500 and no body', async () => {
    // An existing map property overridden by a scalar: val.(map[string]interface{}) fails.
    const start = await post(ten, '/start', { channel_name: 'scalar-over-map', graph_name: VOICE_AGENT_GRAPH, properties: { stt: { params: 'nova-2' } } });
    expect(start.status).toBe(500);
    expect(start.text).toBe('');
    expect(start.headers.get('access-control-allow-origin')).toBe('*');
    expect(start.headers.get('content-type')).toBeNull();
    expect(ten.workers.size).toBe(0);
    expect(ten.logs.some((line) => line.startsWith('[Recovery] panic recovered'))).toBe(true);
  });

  it('resolves ${env:VAR|default} to its default, nested placeholders too, and a variable set to "" to "", as the runtime does', async () => {
    const resolved = await startFakeTenAgent({ tenappDir: GENERATED_TENAPP, env: { ...VOICE_AGENT_ENV, AGENT_PROMPT: '' }, script: { voice: 'chirp' } });
    try {
      const properties = {
        websocket_server: { port: await freePort() },
        // Placeholders in overrides are resolved too; text around a placeholder makes it literal.
        llm: { base_url: '${env:LLM_BASE_URL|http://127.0.0.1:9/v1}', greeting: 'Hi ${env:AGENT_GREETING}' },
      };
      expect(JSON.parse((await post(resolved, '/start', { channel_name: 'defaults', graph_name: VOICE_AGENT_GRAPH, properties })).text).code).toBe('0');
      const started = await resolved.workers.get('defaults')!.waitFor('graph_started');
      expect(started.properties['llm']).toMatchObject({
        proxy_url: '',
        prompt: '',
        model: VOICE_AGENT_ENV['OPENAI_MODEL'],
        api_key: VOICE_AGENT_ENV['OPENAI_API_KEY'],
        base_url: 'http://127.0.0.1:9/v1',
        greeting: 'Hi ${env:AGENT_GREETING}',
      });
      expect(started.properties['stt']).toEqual({ params: { api_key: VOICE_AGENT_ENV['DEEPGRAM_API_KEY'], language: VOICE_AGENT_ENV['AGENT_LANGUAGE'], model: 'nova-3' } });
      // The server's own check counts "" as missing, but only logs it.
      expect(resolved.logs).toContain('Environment variable not found variable=AGENT_PROMPT property=prompt');
      expect(resolved.logs).toContain('Optional environment variable not set; using default variable=OPENAI_PROXY_URL property=proxy_url');
    } finally {
      await resolved.close();
    }
  });
});

describe('what TEN refuses', () => {
  it('panics on a node without a property object, for any /start once it is agora_rtc (startPropMap writes there)', async () => {
    const tenappDir = derivedTenapp((property) => {
      for (const node of voiceAgentGraph(property).nodes) if (node.name === 'agora_rtc') delete node.property;
    });
    const ten = await startFakeTenAgent({ tenappDir, env: VOICE_AGENT_ENV });
    try {
      const start = await post(ten, '/start', { channel_name: 'no-property', graph_name: VOICE_AGENT_GRAPH });
      expect(start.status).toBe(500);
      expect(start.text).toBe('');
      expect(ten.workers.size).toBe(0);
    } finally {
      await ten.close();
      rmSync(tenappDir, { recursive: true, force: true });
    }
  });

  it('answers 10001 once WORKERS_MAX workers run', async () => {
    const ten = await startFakeTenAgent({ tenappDir: GENERATED_TENAPP, env: VOICE_AGENT_ENV, workersMax: 1, script: { voice: 'chirp' } });
    try {
      expect(JSON.parse((await post(ten, '/start', { channel_name: 'first', graph_name: VOICE_AGENT_GRAPH, properties: { websocket_server: { port: await freePort() } } })).text).code).toBe('0');
      const second = await post(ten, '/start', { channel_name: 'second', graph_name: VOICE_AGENT_GRAPH });
      expect(JSON.parse(second.text)).toEqual({ code: '10001', msg: 'workers limit', data: 429 });
      expect([...ten.workers.keys()]).toEqual(['first']);
    } finally {
      await ten.close();
    }
  });

  it('starts a worker without a required variable, which exits 1 before anything listens', async () => {
    const { DEEPGRAM_API_KEY: _unset, ...env } = VOICE_AGENT_ENV;
    const ten = await startFakeTenAgent({ tenappDir: GENERATED_TENAPP, env });
    try {
      // /start answers before the worker fails: the server does not wait for it.
      const start = await post(ten, '/start', { channel_name: 'no-key', graph_name: VOICE_AGENT_GRAPH, properties: { websocket_server: { port: await freePort() } } });
      expect(JSON.parse(start.text).code).toBe('0');
      const worker = ten.sessions[0]!;
      expect(await exitOf(worker)).toEqual({ code: 1, signal: null });
      expect(worker.output).toContain('Environment variable DEEPGRAM_API_KEY is not found, neither default value is provided.');
      expect(worker.events.map((event) => event.type)).not.toContain('websocket_listening');
      // The server's own check reads only top-level string properties: params.api_key is nested.
      expect(ten.logs.filter((line) => line.includes('DEEPGRAM_API_KEY'))).toEqual([]);
      // The Wait goroutine took it out of the map.
      expect(listedChannels(await fetch(`${ten.url}/list`).then((response) => response.text()))).toEqual([]);
      expect(JSON.parse((await post(ten, '/stop', { channel_name: 'no-key' })).text).code).toBe('10002');
    } finally {
      await ten.close();
    }
  });

  it('stops with SIGTERM to the process group, and SIGKILL 2 s later when the worker ignores it', async () => {
    const ten = await startFakeTenAgent({ graphs: ['idle'], script: { ignoreSigterm: true } });
    try {
      expect(JSON.parse((await post(ten, '/start', { channel_name: 'wedged', graph_name: 'idle' })).text).code).toBe('0');
      const worker = ten.workers.get('wedged')!;
      await worker.waitFor('graph_started');
      const asked = Date.now();
      const stop = await post(ten, '/stop', { channel_name: 'wedged' });
      const took = Date.now() - asked;
      expect(JSON.parse(stop.text)).toEqual({ code: '0', msg: 'success', data: null });
      expect(worker.signalsSent).toEqual(['SIGTERM', 'SIGKILL']);
      await worker.waitFor('sigterm');
      expect(await exitOf(worker)).toEqual({ code: null, signal: 'SIGKILL' });
      // The reply waits out the 20 checks 100 ms apart before the SIGKILL.
      expect(took).toBeGreaterThanOrEqual(1_900);
      expect(ten.workers.has('wedged')).toBe(false);
    } finally {
      await ten.close();
    }
  });

  it('stops a worker that obeys SIGTERM without a SIGKILL', async () => {
    const ten = await startFakeTenAgent({ graphs: ['idle'] });
    try {
      expect(JSON.parse((await post(ten, '/start', { channel_name: 'polite', graph_name: 'idle' })).text).code).toBe('0');
      const worker = ten.workers.get('polite')!;
      await worker.waitFor('graph_started');
      expect(JSON.parse((await post(ten, '/stop', { channel_name: 'polite' })).text).code).toBe('0');
      expect(worker.signalsSent).toEqual(['SIGTERM']);
      expect(await exitOf(worker)).toEqual({ code: 0, signal: null });
      expect(worker.events.map((event) => event.type)).toEqual(expect.arrayContaining(['sigterm', 'stopped']));
    } finally {
      await ten.close();
    }
  });

  it('reaps an unpinged worker only on its 5 s pass, comparing whole seconds, and keeps a pinged one', async () => {
    const ten = await startFakeTenAgent({ graphs: ['idle'] });
    const started = Date.now();
    try {
      for (const channel of ['idle', 'pinged']) expect(JSON.parse((await post(ten, '/start', { channel_name: channel, graph_name: 'idle', timeout: 1 })).text).code).toBe('0');
      const idle = ten.workers.get('idle')!;
      const pinger = setInterval(() => void post(ten, '/ping', { channel_name: 'pinged' }), 400);
      try {
        await sleep(3_000 - (Date.now() - started));
        // Past its 1 s timeout, but the reaper has not looked since the server started.
        expect(listedChannels(await fetch(`${ten.url}/list`).then((response) => response.text())).sort()).toEqual(['idle', 'pinged']);
        await exitOf(idle);
        expect(Date.now() - started).toBeGreaterThanOrEqual(4_900);
        expect(idle.signalsSent).toEqual(['SIGTERM']);
        expect(listedChannels(await fetch(`${ten.url}/list`).then((response) => response.text()))).toEqual(['pinged']);
      } finally {
        clearInterval(pinger);
      }
    } finally {
      await ten.close();
    }
  });
});
