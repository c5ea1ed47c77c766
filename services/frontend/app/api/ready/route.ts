import { NextResponse } from 'next/server';
import { checkPostgres, checkRedis } from '../../../lib/dependency-checks.ts';
import { route } from '../../../lib/route.ts';

export const dynamic = 'force-dynamic';

/** Readiness: configuration valid, history schema migrated, Postgres and Redis answering. */
export const GET = route(
  async (_request, { runtime }) => {
    const checks = await Promise.all([checkPostgres(runtime), checkRedis(runtime)]);
    const ready = checks.every((check) => check.up);
    return NextResponse.json({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(checks.map((check) => [check.name, check.up])) }, { status: ready ? 200 : 503 });
  },
  { signedIn: false },
);
