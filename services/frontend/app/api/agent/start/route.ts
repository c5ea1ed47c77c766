import { agentAction } from '../../../../lib/agent-route.ts';

export const dynamic = 'force-dynamic';

/** Starts the voice agent in a room: `POST {room}`. */
export const POST = agentAction((sessions, room, user) => sessions.start(room, user), 'agent started');
