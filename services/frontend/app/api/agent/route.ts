import { NextResponse } from 'next/server';
import { agentSessions, agentStateBody } from '../../../lib/agent-route.ts';
import { checkRoomName } from '../../../lib/jitsi-token.ts';
import { jsonError, route } from '../../../lib/route.ts';

export const dynamic = 'force-dynamic';

/** The voice agent's state in a room: `GET /api/agent?room=<room>`. */
export const GET = route(async (request, { runtime }) => {
  const room = request.nextUrl.searchParams.get('room');
  const problem = checkRoomName(room);
  if (problem !== undefined) return jsonError(400, problem);
  return NextResponse.json(agentStateBody(runtime, room as string, await agentSessions(runtime).state(room as string)));
});
