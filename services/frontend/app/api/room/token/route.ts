import { NextResponse } from 'next/server';
import { checkRoomName, mintRoomToken } from '../../../../lib/jitsi-token.ts';
import { RoomAccess } from '../../../../lib/room-access.ts';
import { jsonBody, jsonError, route } from '../../../../lib/route.ts';

export const dynamic = 'force-dynamic';

/**
 * A short-lived JWT for one Jitsi room, for the signed-in user; minted here, signed with a key the
 * browser never sees. Opening a room nobody owns makes the user its owner (see RoomAccess).
 */
export const POST = route(async (request, { runtime, session }) => {
  const body = await jsonBody(request, runtime);
  const problem = checkRoomName(body['room']);
  if (problem !== undefined) return jsonError(400, problem);
  const room = body['room'] as string;
  const { moderator } = await RoomAccess.of(runtime.redis, runtime.config).open(room, session.user);
  const { jwt, expiresAt } = await mintRoomToken(runtime.config, room, session.user, moderator);
  return NextResponse.json({ room, jwt, expiresAt, moderator }, { headers: { 'cache-control': 'no-store' } });
});
