import { NextResponse } from 'next/server';
import { checkAll } from '../../../lib/dependency-checks.ts';
import { route } from '../../../lib/route.ts';

export const dynamic = 'force-dynamic';

/** Each dependency, up or down, with its latency; names only, never addresses or secrets. */
export const GET = route(
  async (_request, { runtime }) => {
    const dependencies = await checkAll(runtime);
    return NextResponse.json({ status: dependencies.every((dependency) => dependency.up) ? 'ok' : 'degraded', dependencies }, { headers: { 'cache-control': 'no-store' } });
  },
  { signedIn: false },
);
