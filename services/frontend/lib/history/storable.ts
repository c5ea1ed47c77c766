/**
 * Postgres text and jsonb cannot hold NUL, and jsonb refuses the escape of a lone UTF-16
 * surrogate: tool arguments and results with either would make the history write fail after the
 * tool ran. They are kept with U+FFFD REPLACEMENT CHARACTER in place of each such character.
 */
export const MARKER = '\ufffd';

/** Deepest nesting kept; anything below is replaced by a note (the request reader allows 32). */
const MAX_DEPTH = 40;
const TOO_DEEP = `${MARKER}(nested too deeply to keep)`;

/** NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function storableText(text: string): string {
  return text.replace(UNSTORABLE, MARKER);
}

/** A JSON value that Postgres jsonb accepts, with the same shape where it could keep it. */
export function storableJson(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return storableText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return TOO_DEEP;
  if (Array.isArray(value)) return value.map((item) => storableJson(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [storableText(key), storableJson(item, depth + 1)]));
}
