import { agentEventStream } from '../../../../lib/agent-events.ts';
import { agentSessions } from '../../../../lib/agent-route.ts';
import { checkRoomName } from '../../../../lib/jitsi-token.ts';
import { jsonError, route } from '../../../../lib/route.ts';

export const dynamic = 'force-dynamic';

/**
 * The agent's state and transcript in a room as server-sent events, for any signed-in user (the
 * same people who may see its state, and who may join the room and hear it anyway):
 * `GET /api/agent/events?room=<room>`. 404 when no agent is in the room.
 */
export const GET = route(async (request, { runtime }) => {
  const room = request.nextUrl.searchParams.get('room');
  const problem = checkRoomName(room);
  if (problem !== undefined) return jsonError(400, problem);
  return agentEventStream(runtime.config, agentSessions(runtime), runtime.logger, room as string, request.signal);
});
