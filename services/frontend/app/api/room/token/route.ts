import { NextResponse } from 'next/server';
import { checkRoomName, mintRoomToken } from '../../../../lib/jitsi-token.ts';
import { jsonBody, jsonError, route } from '../../../../lib/route.ts';

export const dynamic = 'force-dynamic';

/** A short-lived JWT for one Jitsi room, for the signed-in user; minted here, signed with a key the browser never sees. */
export const POST = route(async (request, { runtime, session }) => {
  const body = await jsonBody(request);
  const problem = checkRoomName(body?.['room']);
  if (problem !== undefined) return jsonError(400, problem);
  const room = body?.['room'] as string;
  const { jwt, expiresAt } = await mintRoomToken(runtime.config, room, session.user);
  return NextResponse.json({ room, jwt, expiresAt }, { headers: { 'cache-control': 'no-store' } });
});
