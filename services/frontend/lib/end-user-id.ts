import { createHash } from 'node:crypto';

/** What the MCP server (and Pipedream Connect) accept as an external user id. */
const MAX_LENGTH = 250;
const PASSES_AS_IT_IS = /^[\x21-\x24\x26-\x7e]{1,250}$/; // visible ASCII without %
const VISIBLE_ASCII_BUT_PERCENT = /[\x21-\x24\x26-\x7e]/;

/**
 * The id the MCP server knows a signed-in user by (X-End-User-Id, and so their Pipedream Connect
 * external user id), from their identity-provider subject:
 * - visible ASCII without `%`, up to 250 characters: the subject itself, so the Connect accounts
 *   of existing users stay theirs;
 * - anything else: the subject's UTF-8 bytes percent-encoded (every byte but visible ASCII
 *   other than `%`), which `decodeURIComponent` reverses;
 * - still over 250 characters: `%sha256:` and the hex SHA-256 of the subject's UTF-8.
 * The three forms cannot meet: only encoded ids contain `%` followed by two hex digits, only
 * hashed ones `%s`, and subjects that pass as they are contain no `%` at all.
 */
export function endUserId(subject: string): string {
  if (PASSES_AS_IT_IS.test(subject)) return subject;
  let encoded = '';
  for (const byte of Buffer.from(subject, 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += byte < 0x80 && VISIBLE_ASCII_BUT_PERCENT.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (encoded.length > 0 && encoded.length <= MAX_LENGTH) return encoded;
  return `%sha256:${createHash('sha256').update(subject, 'utf8').digest('hex')}`;
}
