import { NextResponse } from 'next/server';
import { HistoryStore } from '../../../../lib/history/store.ts';
import { callTool } from '../../../../lib/mcp-tools.ts';
import { jsonBody, jsonError, route } from '../../../../lib/route.ts';

export const dynamic = 'force-dynamic';

/**
 * Runs one MCP tool for the signed-in user (`POST {name, arguments}`) through the MCP server,
 * which checks the arguments against the tool's schema; the call and its result go to history.
 */
export const POST = route(async (request, { runtime, session }) => {
  const body = await jsonBody(request);
  const name = body?.['name'];
  const args = body?.['arguments'] ?? {};
  if (typeof name !== 'string' || name === '' || args === null || typeof args !== 'object' || Array.isArray(args)) {
    return jsonError(400, 'expected a JSON body {"name": "<tool>", "arguments": {…}}');
  }
  const started = performance.now();
  const outcome = await callTool(runtime.config, session.user.sub, name, args as Record<string, unknown>);
  const durationMs = performance.now() - started;
  await new HistoryStore(runtime.pool).toolCalled(session.user.sub, { tool: name, arguments: args as Record<string, unknown>, resultText: outcome.text, isError: outcome.isError, durationMs });
  return NextResponse.json({ ...outcome, durationMs: Math.round(durationMs) });
});
