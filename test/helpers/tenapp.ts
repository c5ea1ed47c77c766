import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../constructs/repo-root.ts';

/** The tenapp synth generates (services/ten-agent/tenapp), which the ten-agent image is built from. */
export const GENERATED_TENAPP = join(REPO_ROOT, 'services/ten-agent/tenapp');

/** The graph every environment runs with the default vendors. */
export const VOICE_AGENT_GRAPH = 'voice_agent';

/** Values for every variable the generated graph reads (none of them real credentials). */
export const VOICE_AGENT_ENV: Readonly<Record<string, string>> = {
  DEEPGRAM_API_KEY: 'deepgram-key-for-tests',
  AGENT_LANGUAGE: 'en-US',
  AGENT_GREETING: 'Hello.',
  OPENAI_API_KEY: 'openai-key-for-tests',
  OPENAI_MODEL: 'gpt-4o-mini',
  AGENT_PROMPT: 'You are a helpful voice agent.',
  ELEVENLABS_TTS_KEY: 'elevenlabs-key-for-tests',
  TTS_VOICE_ID: 'voice-for-tests',
  MCP_SERVER_URL: '',
};

export interface TenNodeJson {
  type: string;
  name: string;
  addon: string;
  extension_group?: string;
  property?: Record<string, unknown>;
}

export interface TenConnectionJson {
  extension: string;
  [kind: string]: unknown;
}

export interface TenPropertyJson {
  ten: { predefined_graphs: Array<{ name: string; auto_start: boolean; graph: { nodes: TenNodeJson[]; connections: TenConnectionJson[] } }>; [key: string]: unknown };
}

/** The generated property.json, read afresh. */
export function generatedProperty(): TenPropertyJson {
  return JSON.parse(readFileSync(join(GENERATED_TENAPP, 'property.json'), 'utf8')) as TenPropertyJson;
}

/** The voice_agent graph's body in a property.json. */
export function voiceAgentGraph(property: TenPropertyJson): { nodes: TenNodeJson[]; connections: TenConnectionJson[] } {
  const graph = property.ten.predefined_graphs.find((candidate) => candidate.name === VOICE_AGENT_GRAPH);
  if (graph === undefined) throw new Error(`the generated tenapp has no graph "${VOICE_AGENT_GRAPH}"`);
  return graph.graph;
}

/** A temporary tenapp whose property.json is the generated one changed by `change`. */
export function derivedTenapp(change: (property: TenPropertyJson) => void): string {
  const property = generatedProperty();
  change(property);
  const dir = mkdtempSync(join(tmpdir(), 'derived-tenapp-'));
  writeFileSync(join(dir, 'property.json'), `${JSON.stringify(property, null, 2)}\n`);
  return dir;
}
