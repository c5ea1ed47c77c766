/**
 * A Pipedream Connect Link (`…/connect.html?token=ctok_…&connectLink=true&app=slack`) carries a
 * short-lived Connect token: whoever holds it can connect an account for that user for hours. The
 * console shows it to the user it was made for and keeps it out of everything it stores: the
 * history, and the log a history entry falls back to.
 */
const TOKEN_PARAMETER = /([?&]token=)[^&\s#"']+/g;

/** `text` with the token of every URL in it replaced, the rest of each URL kept. */
export function withoutConnectTokens(text: string): string {
  return text.replace(TOKEN_PARAMETER, '$1[redacted]');
}
