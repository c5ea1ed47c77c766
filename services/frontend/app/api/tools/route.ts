import { NextResponse } from 'next/server';
import { listTools } from '../../../lib/mcp-tools.ts';
import { route } from '../../../lib/route.ts';

export const dynamic = 'force-dynamic';

/** The MCP server's tools, for the signed-in user (named to the server as its end user). */
export const GET = route(async (_request, { runtime, session }) => {
  return NextResponse.json({ tools: await listTools(runtime.config, session.user.sub) });
});
