/**
 * The Python behaviour websocket_server.py relies on, for the error messages it sends back:
 * type names in TypeErrors, and `base64.b64decode` (non-strict `binascii.a2b_base64`: characters
 * outside the alphabet are skipped, decoding stops at a complete pad, a leftover of one
 * character or missing padding is an error).
 */

/** `type(value).__name__` of a decoded JSON value (a JSON number without a fraction is an int). */
export function pythonTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  if (Array.isArray(value)) return 'list';
  return 'dict';
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function pythonB64decode(value: unknown): { bytes: Buffer } | { error: string } {
  if (typeof value !== 'string') return { error: `argument should be a bytes-like object or ASCII string, not '${pythonTypeName(value)}'` };
  if (!/^[\x00-\x7f]*$/.test(value)) return { error: 'string argument should contain only ASCII characters' };
  const out: number[] = [];
  let quadPos = 0;
  let leftChar = 0;
  let pads = 0;
  let dataChars = 0;
  for (const char of value) {
    if (char === '=') {
      if (quadPos >= 2 && quadPos + ++pads >= 4) return { bytes: Buffer.from(out) };
      continue;
    }
    const sextet = ALPHABET.indexOf(char);
    if (sextet === -1) continue;
    pads = 0;
    dataChars += 1;
    switch (quadPos) {
      case 0:
        leftChar = sextet;
        quadPos = 1;
        break;
      case 1:
        out.push(((leftChar << 2) | (sextet >> 4)) & 0xff);
        leftChar = sextet & 0x0f;
        quadPos = 2;
        break;
      case 2:
        out.push(((leftChar << 4) | (sextet >> 2)) & 0xff);
        leftChar = sextet & 0x03;
        quadPos = 3;
        break;
      default:
        out.push(((leftChar << 6) | sextet) & 0xff);
        leftChar = 0;
        quadPos = 0;
    }
  }
  if (quadPos === 1) return { error: `Invalid base64-encoded string: number of data characters (${dataChars}) cannot be 1 more than a multiple of 4` };
  if (quadPos !== 0) return { error: 'Incorrect padding' };
  return { bytes: Buffer.from(out) };
}

/**
 * `json.dumps(value)` with Python's defaults: `", "` and `": "` separators, keys in insertion
 * order, every non-ASCII character escaped (ensure_ascii); what websocket_server sends is made so.
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  if (typeof value === 'string') return pythonString(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .map(([key, item]) => `${pythonString(key)}: ${pythonJsonDumps(item)}`)
    .join(', ')}}`;
}

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

function pythonString(text: string): string {
  let out = '"';
  for (let index = 0; index < text.length; index += 1) {
    const char = text.charAt(index);
    const code = text.charCodeAt(index);
    const short = SHORT_ESCAPES[char];
    if (short !== undefined) out += short;
    // UTF-16 code units, so characters beyond the BMP come out as surrogate pairs, as in Python.
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}
