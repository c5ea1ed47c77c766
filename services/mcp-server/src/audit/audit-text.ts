/**
 * Argument names as the audit log stores them: one text column, names joined by commas. Names
 * come from the model, so they can hold anything JSON can: NUL (which Postgres text refuses),
 * other control characters, lone surrogates (which would turn into U+FFFD on the way to UTF-8,
 * silently), and the comma that separates them. Those characters, and the backslash that marks
 * an escape, are stored as `\uXXXX` (the UTF-16 code unit in hex, as in JSON), so the stored text
 * is valid, visibly escaped, and gives back the exact names with `decodeArgumentNames`.
 */

/** C0 and C1 controls, DEL, lone surrogates, the separator and the escape character itself. */
const NEEDS_ESCAPE = /[\u0000-\u001f\u007f-\u009f,\\]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const ESCAPE = /\\u([0-9a-f]{4})/g;

export interface EncodedNames {
  readonly text: string;
  /** True when a character had to be escaped. */
  readonly escaped: boolean;
}

export function encodeArgumentNames(names: readonly string[]): EncodedNames {
  let escaped = false;
  const text = names
    .map((name) =>
      name.replace(NEEDS_ESCAPE, (character) => {
        escaped = true;
        return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
      }),
    )
    .join(',');
  return { text, escaped };
}

/** The names an `encodeArgumentNames` text was made from (no names and one empty name both store as ''). */
export function decodeArgumentNames(text: string): string[] {
  if (text === '') return [];
  return text.split(',').map((name) => name.replace(ESCAPE, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))));
}
