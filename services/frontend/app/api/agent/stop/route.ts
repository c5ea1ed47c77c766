import { agentAction } from '../../../../lib/agent-route.ts';

export const dynamic = 'force-dynamic';

/** Stops the room's agent: `POST {room}`. */
export const POST = agentAction(async (sessions, room) => {
  await sessions.stop(room);
  return undefined;
}, 'agent stopped');
