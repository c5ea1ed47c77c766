/**
 * Room names the bridge accepts: the console's rule (services/frontend/lib/jitsi-token.ts), so any
 * room the console can open the agent can join. Jitsi lowercases room names and compares the
 * JWT's `room` claim in lowercase, so only lowercase names are taken as typed; dashes, letters and
 * digits are safe in a URL path, an XMPP node name and TEN's channel name alike.
 */
export const ROOM_NAME = /^[a-z0-9][a-z0-9-]{2,62}$/;

export const ROOM_NAME_RULE = 'a room name is 3 to 63 lowercase letters, digits or dashes, starting with a letter or digit';

/** Undefined when `room` is a valid room name, otherwise the rule it breaks. */
export function roomNameProblem(room: string): string | undefined {
  return ROOM_NAME.test(room) ? undefined : ROOM_NAME_RULE;
}
