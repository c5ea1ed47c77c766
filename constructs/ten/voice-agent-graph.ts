import { TenGraph, type TenAddon } from './ten-graph.ts';
import type { TenPropertyObject } from './ten-schemas.ts';

// The voice agent's TEN graph: audio from a websocket client → STT → main_control → LLM (with the
// MCP server's tools) → TTS → back to the client. Node names `llm`, `tts` and `websocket_server`
// are not ours to choose: TEN's main_python sends to them by explicit destination, as it does to
// `agora_rtc` (our websocket session adapter takes that name, see websocket_session_python).

/** Speech-to-text vendors the graph can use. */
export type SttVendor = 'deepgram';
/** Chat-model vendors. */
export type LlmVendor = 'openai';
/** Text-to-speech vendors; each must produce 16 kHz PCM16, which is what websocket_server carries. */
export type TtsVendor = 'elevenlabs';

export interface VoiceAgentVendors {
  readonly stt: SttVendor;
  readonly llm: LlmVendor;
  readonly tts: TtsVendor;
}

export const DEFAULT_VENDORS: VoiceAgentVendors = { stt: 'deepgram', llm: 'openai', tts: 'elevenlabs' };

/**
 * Variables the graph reads for what may differ per environment without changing the graph
 * (and so without rebuilding the image): set on the ten-agent service by `TenAgent`.
 */
export const AGENT_VARIABLES = {
  language: 'AGENT_LANGUAGE',
  greeting: 'AGENT_GREETING',
  systemPrompt: 'AGENT_PROMPT',
  model: 'OPENAI_MODEL',
  voice: 'TTS_VOICE_ID',
  mcpServerUrl: 'MCP_SERVER_URL',
} as const;

/** Audio on the websocket: 16 kHz mono PCM16, both ways. */
export const WEBSOCKET_AUDIO = { sample_rate: 16000, channels: 1, bytes_per_sample: 2 } as const;
/** Where websocket_server listens unless /start says otherwise: loopback, outside the worker port range. */
export const WEBSOCKET_DEFAULT = { host: '127.0.0.1', port: 8765 } as const;

interface VendorNode {
  readonly addon: TenAddon;
  readonly property: TenPropertyObject;
  /** Credentials the node reads; they must come from secrets. */
  readonly secrets: readonly string[];
}

const env = (variable: string) => `\${env:${variable}}`;
const shared = (name: string): TenAddon => ({ name, source: 'shared' });

const STT: Record<SttVendor, VendorNode> = {
  deepgram: {
    addon: shared('deepgram_asr_python'),
    property: { params: { api_key: env('DEEPGRAM_API_KEY'), language: env(AGENT_VARIABLES.language), model: 'nova-3' } },
    secrets: ['DEEPGRAM_API_KEY'],
  },
};

const LLM: Record<LlmVendor, VendorNode> = {
  openai: {
    addon: shared('openai_llm2_python'),
    property: {
      base_url: 'https://api.openai.com/v1',
      api_key: env('OPENAI_API_KEY'),
      model: env(AGENT_VARIABLES.model),
      prompt: env(AGENT_VARIABLES.systemPrompt),
      // Optional: TEN reads an empty default when the variable is unset.
      proxy_url: '${env:OPENAI_PROXY_URL|}',
      greeting: env(AGENT_VARIABLES.greeting),
      frequency_penalty: 0.9,
      max_tokens: 512,
      max_memory_length: 10,
    },
    secrets: ['OPENAI_API_KEY'],
  },
};

const TTS: Record<TtsVendor, VendorNode> = {
  elevenlabs: {
    addon: shared('elevenlabs_tts2_python'),
    property: {
      dump: false,
      dump_path: './',
      params: {
        key: env('ELEVENLABS_TTS_KEY'),
        model_id: 'eleven_multilingual_v2',
        voice_id: env(AGENT_VARIABLES.voice),
        output_format: 'pcm_16000',
      },
    },
    secrets: ['ELEVENLABS_TTS_KEY'],
  },
};

/** The vendors the graph can use, per role. */
export const VENDOR_CHOICES = {
  stt: Object.keys(STT) as [SttVendor, ...SttVendor[]],
  llm: Object.keys(LLM) as [LlmVendor, ...LlmVendor[]],
  tts: Object.keys(TTS) as [TtsVendor, ...TtsVendor[]],
};

/** The graph's name: `voice_agent` with the default vendors, otherwise named after its vendors. */
export function voiceAgentGraphName(vendors: VoiceAgentVendors): string {
  const isDefault = vendors.stt === DEFAULT_VENDORS.stt && vendors.llm === DEFAULT_VENDORS.llm && vendors.tts === DEFAULT_VENDORS.tts;
  return isDefault ? 'voice_agent' : `voice_agent_${vendors.stt}_${vendors.llm}_${vendors.tts}`;
}

/** Builds the voice agent's graph for a choice of vendors. */
export function voiceAgentGraph(vendors: VoiceAgentVendors = DEFAULT_VENDORS): TenGraph {
  const graph = new TenGraph(voiceAgentGraphName(vendors));
  const stt = STT[vendors.stt];
  const llm = LLM[vendors.llm];
  const tts = TTS[vendors.tts];

  const websocket = graph.node({
    name: 'websocket_server',
    addon: shared('websocket_server'),
    property: { ...WEBSOCKET_DEFAULT, ...WEBSOCKET_AUDIO },
  });
  const session = graph.node({ name: 'agora_rtc', addon: { name: 'websocket_session_python', source: 'app' }, group: 'websocket_session', property: {} });
  const sttNode = graph.node({ name: 'stt', addon: stt.addon, property: stt.property });
  const control = graph.node({
    name: 'main_control',
    addon: { name: 'main_python', source: 'app' },
    group: 'control',
    property: { greeting: env(AGENT_VARIABLES.greeting) },
  });
  graph.node({ name: 'llm', addon: llm.addon, property: llm.property });
  const mcp = graph.node({ name: 'mcp_client', addon: shared('mcp_client_python'), property: { url: env(AGENT_VARIABLES.mcpServerUrl) } });
  const ttsNode = graph.node({ name: 'tts', addon: tts.addon, property: tts.property });

  graph
    .route('audio_frame', 'pcm_frame', websocket, session)
    .route('audio_frame', 'pcm_frame', session, sttNode)
    .route('cmd', 'on_user_joined', session, control)
    .route('cmd', 'flush', session, websocket)
    .route('data', 'asr_result', sttNode, control)
    .route('cmd', 'tool_register', mcp, control)
    .route('audio_frame', 'pcm_frame', ttsNode, websocket);

  for (const secret of [...stt.secrets, ...llm.secrets, ...tts.secrets]) graph.requireSecret(secret);
  // The URL carries the MCP server's token for this caller.
  graph.requireSecret(AGENT_VARIABLES.mcpServerUrl);
  return graph;
}
