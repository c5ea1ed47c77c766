import { SignJWT } from 'jose';
import type { Config } from './config.ts';

/**
 * The agent's own room JWT for Jitsi's prosody (token auth, HS256 with JWT_APP_SECRET), with
 * the claims the console gives people (services/frontend/lib/jitsi-token.ts): `iss` the app id,
 * `aud` an accepted audience, `sub` the XMPP domain, `room` exactly this room. The agent is a
 * member, never a moderator. Never logged: it is handed to the joiner and nowhere else.
 */

/** The agent's stable user id in the room's token. */
export const AGENT_USER_ID = 'agent-bridge';

/**
 * Prosody checks the token when the agent connects, so a long meeting keeps its agent; the
 * lifetime only bounds what a leaked token is good for.
 */
export const AGENT_JWT_TTL_SECONDS = 6 * 60 * 60;

export type JwtConfig = Pick<Config, 'JITSI_JWT_APP_ID' | 'JITSI_JWT_AUDIENCE' | 'JITSI_JWT_SUBJECT' | 'JWT_APP_SECRET' | 'AGENT_DISPLAY_NAME'>;

export async function mintAgentJwt(config: JwtConfig, room: string, now = Date.now()): Promise<string> {
  const issuedAt = Math.floor(now / 1000);
  return new SignJWT({
    room,
    context: { user: { id: AGENT_USER_ID, name: config.AGENT_DISPLAY_NAME, moderator: false, affiliation: 'member' } },
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(config.JITSI_JWT_APP_ID)
    .setAudience(config.JITSI_JWT_AUDIENCE)
    .setSubject(config.JITSI_JWT_SUBJECT)
    .setIssuedAt(issuedAt)
    // A little slack for prosody's clock running behind ours.
    .setNotBefore(issuedAt - 10)
    .setExpirationTime(issuedAt + AGENT_JWT_TTL_SECONDS)
    .sign(new TextEncoder().encode(config.JWT_APP_SECRET));
}
