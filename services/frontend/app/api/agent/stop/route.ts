import { agentAction } from '../../../../lib/agent-route.ts';

export const dynamic = 'force-dynamic';

/** Takes the voice agent out of a room: `POST {room}`; its starter or a room moderator only. */
export const POST = agentAction((sessions, room, user) => sessions.stop(room, user), 'agent stopped');
