import { agentAction } from '../../../../lib/agent-route.ts';

export const dynamic = 'force-dynamic';

/** Keeps the room's agent alive: `POST {room}`, sent by the console page while it shows the room; its starter or a room moderator only. */
export const POST = agentAction((sessions, room, user) => sessions.ping(room, user));
