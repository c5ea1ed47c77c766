import { NextResponse } from 'next/server';
import { agentBridgeClient, type BridgeRoomState } from './agent-bridge.ts';
import { AgentSessions } from './agent-sessions.ts';
import { agentStateBody } from './agent-view.ts';
import { checkRoomName } from './jitsi-token.ts';
import { RoomAccess } from './room-access.ts';
import { jsonBody, jsonError, route } from './route.ts';
import type { Runtime } from './runtime.ts';
import type { SessionUser } from './session.ts';

/** The agent sessions of this process's runtime. */
export function agentSessions(runtime: Runtime): AgentSessions {
  return new AgentSessions(runtime.redis, agentBridgeClient(runtime.config), runtime.recorder, RoomAccess.of(runtime.redis, runtime.config));
}

/** A `POST {room}` route that acts on the room's agent and answers with its new state. */
export function agentAction(act: (sessions: AgentSessions, room: string, user: SessionUser) => Promise<BridgeRoomState | undefined>, logMessage: string) {
  return route(async (request, { runtime, session }) => {
    const room = (await jsonBody(request, runtime))['room'];
    const problem = checkRoomName(room);
    if (problem !== undefined) return jsonError(400, problem);
    const state = await act(agentSessions(runtime), room as string, session.user);
    runtime.logger.info({ room, user: session.user.sub, session: state?.sessionId }, logMessage);
    // Whoever just acted on the agent may go on doing so (they started it, or passed the check).
    return NextResponse.json(agentStateBody(room as string, state, true));
  });
}
