import { agentAction } from '../../../../lib/agent-route.ts';

export const dynamic = 'force-dynamic';

/** Stops the room's agent: `POST {room}`; its starter or a room moderator only. */
export const POST = agentAction(async (sessions, room, user) => {
  await sessions.stop(room, user);
  return undefined;
}, 'agent stopped');
