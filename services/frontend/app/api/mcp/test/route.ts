import { NextResponse } from 'next/server';
import { listTools } from '../../../../lib/mcp-tools.ts';
import { route } from '../../../../lib/route.ts';

export const dynamic = 'force-dynamic';

/**
 * The deploy workflow's smoke test: lists tools through the MCP server with the console's token,
 * proving the whole path (network, token, server, catalog). Answers the count, not the tools.
 */
export const GET = route(
  async (_request, { runtime }) => {
    const started = performance.now();
    const tools = await listTools(runtime.config);
    return NextResponse.json({ status: 'ok', tools: tools.length, latencyMs: Math.round(performance.now() - started) });
  },
  { signedIn: false },
);
