/**
 * The fake TEN agent server (test/fakes/ten-agent) as the bridge's tests use it, imported file
 * by file rather than through its index.ts: the index also exports its websocket client, whose
 * constructor parameter property this project's `erasableSyntaxOnly` (the bridge's tsconfig)
 * refuses. The bridge is the websocket client in these tests anyway.
 */
export { startFakeTenAgent, type FakeTenAgent } from '../../../../test/fakes/ten-agent/server.ts';
export type { TenStartRequest } from '../../../../test/fakes/ten-agent/gin-bind.ts';
export type { FakeTenWorker } from '../../../../test/fakes/ten-agent/worker-process.ts';
export { synthesize } from '../../../../test/fakes/ten-agent/worker/audio/speech.ts';
export { derivedTenapp, GENERATED_TENAPP, VOICE_AGENT_ENV, VOICE_AGENT_GRAPH, voiceAgentGraph } from '../../../../test/helpers/tenapp.ts';

/** The websocket_server port a session's /start asked for. */
export function portOf(startRequest: unknown): number {
  return (startRequest as { properties: { websocket_server: { port: number } } }).properties.websocket_server.port;
}
