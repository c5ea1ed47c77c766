import { NextResponse } from 'next/server';
import { isRunning } from '../../../lib/agent-bridge.ts';
import { agentSessions } from '../../../lib/agent-route.ts';
import { agentStateBody } from '../../../lib/agent-view.ts';
import { checkRoomName } from '../../../lib/jitsi-token.ts';
import { jsonError, route } from '../../../lib/route.ts';

export const dynamic = 'force-dynamic';

/**
 * The voice agent in a room, as the agent bridge reports it, for any signed-in user:
 * `GET /api/agent?room=<room>`. A session the bridge ended by itself (the room emptied) ends in
 * history here, if the event stream did not record it first.
 */
export const GET = route(async (request, { runtime, session }) => {
  const room = request.nextUrl.searchParams.get('room');
  const problem = checkRoomName(room);
  if (problem !== undefined) return jsonError(400, problem);
  const sessions = agentSessions(runtime);
  const { record, state } = await sessions.inRoom(room as string);
  const canControl = isRunning(state) && (await sessions.mayControl(room as string, record, session.user));
  return NextResponse.json(agentStateBody(room as string, state, canControl));
});
