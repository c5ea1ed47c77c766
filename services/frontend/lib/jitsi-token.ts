import { SignJWT } from 'jose';
import type { Config } from './config.ts';
import type { SessionUser } from './session.ts';

/**
 * Room names the console accepts: what Jitsi keeps as typed (it lowercases rooms and compares the
 * JWT's `room` claim in lowercase), short, and safe in a URL path.
 */
export const ROOM_NAME = /^[a-z0-9][a-z0-9-]{2,62}$/;

export function checkRoomName(room: unknown): string | undefined {
  return typeof room === 'string' && ROOM_NAME.test(room) ? undefined : 'a room name is 3 to 63 lowercase letters, digits or dashes, starting with a letter or digit';
}

/**
 * A short-lived room JWT for Jitsi's prosody (token auth, HS256 with JWT_APP_SECRET): `iss` is
 * the app id, `aud` an accepted audience, `sub` the XMPP domain, `room` exactly this room.
 * `context.user.moderator` and `affiliation` ("owner" for the room's moderators, "member" for
 * everyone else) say what the user may do in the meeting; prosody honours the affiliation only
 * with the `token_affiliation` module and auto-owner off (see the README).
 */
export async function mintRoomToken(config: Config, room: string, user: SessionUser, moderator: boolean, now = Date.now()): Promise<{ jwt: string; expiresAt: number }> {
  const issuedAt = Math.floor(now / 1000);
  const expiresAt = issuedAt + config.JITSI_JWT_TTL_SECONDS;
  const jwt = await new SignJWT({
    room,
    context: {
      user: {
        id: user.sub,
        name: user.name,
        ...(user.email !== undefined ? { email: user.email } : {}),
        moderator,
        affiliation: moderator ? 'owner' : 'member',
      },
    },
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(config.JITSI_JWT_APP_ID)
    .setAudience(config.JITSI_JWT_AUDIENCE)
    .setSubject(config.JITSI_JWT_SUBJECT)
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt - 10)
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(config.JWT_APP_SECRET));
  return { jwt, expiresAt: expiresAt * 1000 };
}
