import { agentAction } from '../../../../lib/agent-route.ts';
import { countAgentStart } from '../../../../lib/agent-start-outcome.ts';

export const dynamic = 'force-dynamic';

/** Brings the voice agent into a room through the agent bridge: `POST {room}`; answers once it is in the room. */
export const POST = agentAction((sessions, room, user) => countAgentStart(() => sessions.start(room, user)), 'agent started');
