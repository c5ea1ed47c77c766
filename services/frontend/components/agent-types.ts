/**
 * What the console's agent routes send the page, typed from the server code that builds it
 * (type-only imports: nothing of the server reaches the browser's bundle).
 */
import type { AgentRunState } from '../lib/agent-bridge.ts';
import type { agentStateBody } from '../lib/agent-view.ts';

export type { AgentRunState, TranscriptLine } from '../lib/agent-bridge.ts';
export type { AgentView } from '../lib/agent-view.ts';

/** `GET /api/agent`, and the answer of a start or a stop. */
export type AgentBody = ReturnType<typeof agentStateBody>;

export const isFinalState = (state: AgentRunState) => state === 'stopped' || state === 'failed';
