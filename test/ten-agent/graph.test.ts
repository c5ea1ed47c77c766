import { RootConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { SecretRef, secret, StackEnvironment, TenAgent, validateEnvironment, VoiceAgentStack } from '../../constructs/index.ts';
import { whyLooksLikeCredential } from '../../constructs/credentials.ts';
import { TenGraph } from '../../constructs/ten/ten-graph.ts';
import { checkTenGraph, checkTenappFiles, EXAMPLE_APP_ADDONS, ownAppAddons, tenappManifest, tenappProperty, type TenGraphContext } from '../../constructs/ten/tenapp.ts';
import { tenPredefinedGraphSchema, tenPropertyFileSchema } from '../../constructs/ten/ten-schemas.ts';
import { voiceAgentGraph } from '../../constructs/ten/voice-agent-graph.ts';
import { JITSI_VERSION, POSTGRES_VERSION, REDIS_VERSION } from '../../environments/versions.ts';

function environment(name = 'test') {
  return new StackEnvironment(new RootConstruct(), name, {
    targets: ['compose'],
    domain: 'localhost',
    doppler: { project: 'voice-agent', config: 'dev' },
  });
}

function stackAgent() {
  const env = environment();
  const stack = new VoiceAgentStack(env, 'voice-agent', {
    jitsi: { version: JITSI_VERSION, advertiseIps: ['192.0.2.1'] },
    postgres: { version: POSTGRES_VERSION },
    redis: { version: REDIS_VERSION },
    frontend: { oidcIssuer: 'https://auth.example.com/realms/voice-agent', oidcClientId: 'voice-console' },
  });
  return { env, agent: stack.tenAgent };
}

/** A context that accepts the voice agent graph, for tests that break one thing at a time. */
function context(graph: TenGraph, env: TenGraphContext['env']): TenGraphContext {
  return {
    manifest: tenappManifest([graph]),
    appAddons: new Set([...EXAMPLE_APP_ADDONS, ...ownAppAddons()]),
    env,
    fail: (field, problem) => {
      throw new Error(`${field}: ${problem}`);
    },
  };
}

const { agent: defaultAgent } = stackAgent();
const fullEnv = defaultAgent.env;

describe('the voice_agent graph', () => {
  it('routes websocket audio through the session adapter to STT, main_control, the LLM with MCP tools, and TTS back', () => {
    const json = voiceAgentGraph().toJson();
    expect(json.name).toBe('voice_agent');
    expect(json.graph.nodes.map((node) => `${node.name}:${node.addon}`)).toEqual([
      'websocket_server:websocket_server',
      'agora_rtc:websocket_session_python',
      'stt:deepgram_asr_python',
      'main_control:main_python',
      'llm:openai_llm2_python',
      'mcp_client:mcp_client_python',
      'tts:elevenlabs_tts2_python',
    ]);
    expect(json.graph.connections).toEqual([
      { extension: 'websocket_server', audio_frame: [{ name: 'pcm_frame', dest: [{ extension: 'agora_rtc' }] }] },
      {
        extension: 'agora_rtc',
        cmd: [
          { name: 'on_user_joined', dest: [{ extension: 'main_control' }] },
          { name: 'flush', dest: [{ extension: 'websocket_server' }] },
        ],
        audio_frame: [{ name: 'pcm_frame', dest: [{ extension: 'stt' }] }],
      },
      { extension: 'stt', data: [{ name: 'asr_result', dest: [{ extension: 'main_control' }] }] },
      { extension: 'mcp_client', cmd: [{ name: 'tool_register', dest: [{ extension: 'main_control' }] }] },
      { extension: 'tts', audio_frame: [{ name: 'pcm_frame', dest: [{ extension: 'websocket_server' }] }] },
    ]);
    const nodes = Object.fromEntries(json.graph.nodes.map((node) => [node.name, node.property]));
    expect(nodes['mcp_client']).toEqual({ url: '${env:MCP_SERVER_URL}' });
    expect(nodes['websocket_server']).toEqual({ host: '127.0.0.1', port: 8765, sample_rate: 16000, channels: 1, bytes_per_sample: 2 });
    expect(nodes['tts']).toMatchObject({ params: { output_format: 'pcm_16000', key: '${env:ELEVENLABS_TTS_KEY}' } });
  });

  it('is a graph TEN accepts, and so are the tenapp files made of it', () => {
    const graph = voiceAgentGraph();
    expect(tenPredefinedGraphSchema.safeParse(graph.toJson()).success).toBe(true);
    expect(() => checkTenappFiles(tenappProperty([graph]), tenappManifest([graph]), (field, problem) => { throw new Error(`${field}: ${problem}`); })).not.toThrow();
    expect(tenappManifest([graph]).dependencies).toContainEqual({ path: '../../../ten_packages/extension/mcp_client_python' });
    expect(tenappManifest([graph]).dependencies).not.toContainEqual({ path: '../../../ten_packages/extension/main_python' });
  });

  it('passes every check against the stack’s own environment', () => {
    expect(() => checkTenGraph(voiceAgentGraph(), context(voiceAgentGraph(), fullEnv))).not.toThrow();
  });
});

describe('TEN schemas', () => {
  const node = { type: 'extension', name: 'a', addon: 'b', property: {} };
  const file = (nodes: unknown[], connections: unknown[] = []) => ({ ten: { predefined_graphs: [{ name: 'g', graph: { nodes, connections } }] } });
  it('refuse what TEN refuses', () => {
    expect(tenPropertyFileSchema.safeParse(file([node])).success).toBe(true);
    // The agent server's /start handler panics on a node without a property object.
    expect(tenPropertyFileSchema.safeParse(file([{ type: 'extension', name: 'a', addon: 'b' }])).success).toBe(false);
    expect(tenPropertyFileSchema.safeParse(file([{ ...node, property: { key: null } }])).success).toBe(false);
    expect(tenPropertyFileSchema.safeParse(file([{ ...node, name: 'has-dash' }])).success).toBe(false);
    expect(tenPropertyFileSchema.safeParse(file([{ ...node, extra: 1 }])).success).toBe(false);
    const both = { extension: 'a', cmd: [{ name: 'x', dest: [{ extension: 'b' }], source: [{ extension: 'c' }] }] };
    expect(tenPropertyFileSchema.safeParse(file([node], [both])).success).toBe(false);
    const neither = { extension: 'a', cmd: [{ name: 'x' }] };
    expect(tenPropertyFileSchema.safeParse(file([node], [neither])).success).toBe(false);
    const unnamed = { extension: 'a', cmd: [{ dest: [{ extension: 'b' }] }] };
    expect(tenPropertyFileSchema.safeParse(file([node], [unnamed])).success).toBe(false);
    const names = { extension: 'a', cmd: [{ names: ['x', 'y'], source: [{ extension: 'b' }] }] };
    expect(tenPropertyFileSchema.safeParse(file([node], [names])).success).toBe(true);
  });
});

describe('graph checks, each failure located', () => {
  const check = (graph: TenGraph, env = fullEnv, manifestOf: TenGraph = graph) => () => checkTenGraph(graph, { ...context(manifestOf, env) });

  it('an addon the manifest does not package', () => {
    const graph = voiceAgentGraph();
    graph.node({ name: 'weather', addon: { name: 'weatherapi_tool_python', source: 'shared' }, property: {} });
    expect(check(graph, fullEnv, voiceAgentGraph())).toThrow(
      'nodes[7].addon: addon "weatherapi_tool_python" of node "weather" is not packaged: manifest.json has no dependency on ../../../ten_packages/extension/weatherapi_tool_python, so task release would not package it',
    );
  });

  it('an app addon the tenapp does not hold', () => {
    const graph = voiceAgentGraph();
    graph.node({ name: 'mine', addon: { name: 'not_here_python', source: 'app' }, property: {} });
    expect(check(graph)).toThrow(/^nodes\[7\]\.addon: addon "not_here_python" of node "mine" is not packaged: no package of the tenapp is named "not_here_python" \(known: main_python, websocket_session_python\)$/);
  });

  it('a route to a node the graph does not have', () => {
    const graph = voiceAgentGraph().route('cmd', 'flush', 'main_control', 'agora_rtm');
    expect(check(graph)).toThrow(/^routes\[7\]\.to: cmd "flush" goes to node "agora_rtm", which the graph does not have/);
    const from = voiceAgentGraph().route('data', 'text_data', 'ghost', 'websocket_server');
    expect(check(from)).toThrow(/^routes\[7\]\.from: data "text_data" comes from node "ghost"/);
  });

  it('a node name used twice', () => {
    const graph = voiceAgentGraph();
    graph.node({ name: 'tts', addon: { name: 'elevenlabs_tts2_python', source: 'shared' }, property: {} });
    expect(check(graph)).toThrow('nodes[7].name: node name "tts" is used twice (nodes[6] and nodes[7])');
  });

  it('a name TEN refuses', () => {
    const graph = voiceAgentGraph();
    graph.node({ name: 'my-node', addon: { name: 'websocket_server', source: 'shared' }, property: {} });
    expect(check(graph)).toThrow(/^nodes\[7\]\.name: must match/);
  });

  it('a required variable the service does not set; a default needs none', () => {
    const { MCP_SERVER_URL: _url, ...withoutUrl } = fullEnv;
    expect(check(voiceAgentGraph(), withoutUrl)).toThrow(
      'nodes[5].property.url: ${env:MCP_SERVER_URL} has no default and the ten-agent service does not set MCP_SERVER_URL; give it in TenAgent\'s options or env',
    );
    // OPENAI_PROXY_URL is read as ${env:OPENAI_PROXY_URL|}: optional.
    expect('OPENAI_PROXY_URL' in fullEnv).toBe(false);
  });

  it('a credential given as a literal', () => {
    expect(check(voiceAgentGraph(), { ...fullEnv, DEEPGRAM_API_KEY: 'typed-in' })).toThrow(
      "secrets.DEEPGRAM_API_KEY: DEEPGRAM_API_KEY is a credential the graph reads: give it as secret('…'), never as a literal",
    );
    expect(fullEnv['DEEPGRAM_API_KEY']).toBeInstanceOf(SecretRef);
  });

  it('synth’s validation names environment, service and field', () => {
    const env = environment('staging');
    // A TEN agent on its own: nothing gives it MCP_SERVER_URL.
    new TenAgent(env, 'ten-agent');
    expect(() => validateEnvironment(env)).toThrow(
      'environment "staging", service "ten-agent", field "graph.voice_agent.nodes[5].property.url": ${env:MCP_SERVER_URL} has no default and the ten-agent service does not set MCP_SERVER_URL; give it in TenAgent\'s options or env',
    );
    const withUrl = environment('staging');
    new TenAgent(withUrl, 'ten-agent', { env: { MCP_SERVER_URL: 'http://mcp-server:8080/sse/literal' } });
    expect(() => validateEnvironment(withUrl)).toThrow(/field "graph\.voice_agent\.secrets\.MCP_SERVER_URL": MCP_SERVER_URL is a credential/);
    const good = environment('staging');
    new TenAgent(good, 'ten-agent', { env: { MCP_SERVER_URL: secret('MCP_URL') } });
    expect(() => validateEnvironment(good)).not.toThrow();
  });
});

describe('AGORA_APP_ID', () => {
  it('takes its documented 32-character placeholder as a literal, and nothing else', () => {
    expect(defaultAgent.env['AGORA_APP_ID']).toHaveLength(32);
    expect(whyLooksLikeCredential('AGORA_APP_ID', 'unused-websocket-transport-00000')).toBeUndefined();
    expect(whyLooksLikeCredential('AGORA_APP_ID', 'a1b2c3d4e5f60718293a4b5c6d7e8f90')).toMatch(/takes only its documented placeholder.*secret\('AGORA_APP_ID'\)/);
  });
});
