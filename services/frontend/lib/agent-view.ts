import { isRunning, type BridgeRoomState } from './agent-bridge.ts';

/** The agent as the browser sees it: what the bridge reports about the room, nothing about how it runs. */
export function agentView(state: BridgeRoomState) {
  return {
    state: state.state,
    startedAt: state.startedAt,
    participants: state.participants.map(({ id, displayName }) => ({ id, displayName })),
    lastSpeechAt: state.heard.lastSpeechAt,
    lastHeard: state.lastHeard,
    lastSaid: state.lastSaid,
    lastError: state.lastError,
  };
}

export type AgentView = ReturnType<typeof agentView>;

/** The room's agent for the browser (`/api/agent`, start, stop); `canControl` says whether this user may stop it. */
export function agentStateBody(room: string, state: BridgeRoomState | undefined, canControl: boolean) {
  return { room, running: isRunning(state), agent: state === undefined ? null : agentView(state), canControl };
}
