import { NextResponse } from 'next/server';
import { agentSessions, agentStateBody } from '../../../lib/agent-route.ts';
import { checkRoomName } from '../../../lib/jitsi-token.ts';
import { jsonError, route } from '../../../lib/route.ts';

export const dynamic = 'force-dynamic';

/** The voice agent's state in a room, for any signed-in user: `GET /api/agent?room=<room>`. */
export const GET = route(async (request, { runtime, session }) => {
  const room = request.nextUrl.searchParams.get('room');
  const problem = checkRoomName(room);
  if (problem !== undefined) return jsonError(400, problem);
  const sessions = agentSessions(runtime);
  const state = await sessions.state(room as string);
  const canControl = state !== undefined && (await sessions.mayControl(state, session.user));
  return NextResponse.json(agentStateBody(runtime, room as string, state, canControl));
});
