import { NextResponse } from 'next/server';
import { AgentSessions, type AgentState } from './agent-sessions.ts';
import { checkRoomName } from './jitsi-token.ts';
import { RoomAccess } from './room-access.ts';
import { jsonBody, jsonError, route } from './route.ts';
import type { Runtime } from './runtime.ts';
import type { SessionUser } from './session.ts';
import { tenAgentClient } from './ten-agent.ts';

/** The agent sessions of this process's runtime. */
export function agentSessions(runtime: Runtime): AgentSessions {
  const { config } = runtime;
  return new AgentSessions(runtime.redis, tenAgentClient(config), runtime.recorder, RoomAccess.of(runtime.redis, config), config.TEN_AGENT_GRAPH, config.TEN_AGENT_TIMEOUT_SECONDS);
}

/** How often the browser should ping: a third of the agent's timeout, so one lost ping is harmless. */
function pingIntervalMs(runtime: Runtime): number {
  return Math.floor((runtime.config.TEN_AGENT_TIMEOUT_SECONDS * 1000) / 3);
}

/** The agent's state as the browser sees it; `canControl` says whether this user may ping and stop it. */
export function agentStateBody(runtime: Runtime, room: string, state: AgentState | undefined, canControl: boolean) {
  return {
    room,
    running: state !== undefined,
    ...(state !== undefined ? { startedAt: state.startedAt, keepaliveUntil: state.keepaliveUntil } : {}),
    canControl,
    pingIntervalMs: pingIntervalMs(runtime),
  };
}

/** A `POST {room}` route that acts on the room's agent and answers with its new state. */
export function agentAction(act: (sessions: AgentSessions, room: string, user: SessionUser) => Promise<AgentState | undefined>, logMessage?: string) {
  return route(async (request, { runtime, session }) => {
    const room = (await jsonBody(request, runtime))['room'];
    const problem = checkRoomName(room);
    if (problem !== undefined) return jsonError(400, problem);
    const state = await act(agentSessions(runtime), room as string, session.user);
    if (logMessage !== undefined) runtime.logger.info({ room, user: session.user.sub }, logMessage);
    // Whoever just acted on the agent may go on doing so (they started it, or passed the check).
    return NextResponse.json(agentStateBody(runtime, room as string, state, true));
  });
}
