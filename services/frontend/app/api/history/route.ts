import { NextResponse } from 'next/server';
import { route } from '../../../lib/route.ts';

export const dynamic = 'force-dynamic';

/** The signed-in user's history: agent sessions and tool calls, newest first. */
export const GET = route(async (_request, { runtime, session }) => {
  const { history } = runtime;
  const [agentSessions, toolCalls] = await Promise.all([history.agentSessions(session.user.sub), history.toolCalls(session.user.sub)]);
  return NextResponse.json({ agentSessions, toolCalls });
});
