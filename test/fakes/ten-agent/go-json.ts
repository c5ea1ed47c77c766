/**
 * Go's `json.MarshalIndent(v, "", "  ")` of a decoded `map[string]interface{}`, which is how the
 * agent server writes the temporary property file: object keys sorted (Go sorts map keys),
 * `<`, `>`, `&`, U+2028 and U+2029 escaped (encoding/json's HTML-safe default), numbers as
 * float64 (shortest form, exponent below 1e-6 and from 1e21), empty objects and arrays as `{}`
 * and `[]`.
 */
export function goMarshalIndent(value: unknown): string {
  return encode(value, '');
}

const INDENT = '  ';

function encode(value: unknown, indent: string): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return encodeNumber(value);
  if (typeof value === 'string') return encodeString(value);
  const inner = indent + INDENT;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => inner + encode(item, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([key, item]) => `${inner}${encodeString(key)}: ${encode(item, inner)}`).join(',\n')}\n${indent}}`;
}

function encodeNumber(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`json: unsupported value: ${value}`);
  if (Object.is(value, -0)) return '-0';
  // JavaScript's shortest round-trip form switches to exponents at the same bounds as Go's
  // float64 encoding (1e-6 and 1e21) and writes them the same way (1e-7, 1e+21).
  return String(value);
}

function encodeString(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"') out += '\\"';
    else if (char === '\\') out += '\\\\';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || char === '<' || char === '>' || char === '&' || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else out += char;
  }
  return `${out}"`;
}
