import { NextResponse } from 'next/server';
import { probeMcp } from '../../../../lib/mcp-probe.ts';
import { jsonError, route } from '../../../../lib/route.ts';

export const dynamic = 'force-dynamic';

/**
 * The deploy workflow's smoke test: lists tools through the MCP server with the console's token,
 * proving the whole path (network, token, server, catalog). Answers the count, not the tools, from
 * a probe shared by every caller for a few seconds, so anonymous callers spend no one's budget.
 */
export const GET = route(
  async (_request, { runtime }) => {
    const result = await probeMcp(runtime);
    if (!result.ok) return jsonError(result.status, result.error, { 'cache-control': 'no-store' });
    return NextResponse.json({ status: 'ok', tools: result.tools, latencyMs: result.latencyMs, checkedAt: result.checkedAt }, { headers: { 'cache-control': 'no-store' } });
  },
  { signedIn: false },
);
