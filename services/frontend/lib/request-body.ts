import { RequestRefused } from './request-refused.ts';

/** Deepest nesting of arrays and objects a JSON body may have: deeper ones are refused before parsing. */
const MAX_JSON_DEPTH = 32;

/** `application/json`, with parameters, or any `+json` type. */
function isJson(contentType: string | null): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type);
}

function sizeInWords(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}

/**
 * The body once the client has said it is larger than allowed, or has sent more than allowed.
 * `Connection: close` makes the server drop the connection after answering, so a client still
 * sending stops instead of having the rest read and thrown away.
 */
function tooLarge(limitBytes: number): RequestRefused {
  return new RequestRefused(413, `The request body is larger than ${sizeInWords(limitBytes)}.`, { connection: 'close' });
}

/** Reads at most `limitBytes` of the body; stops (without reading on) as soon as there is more. */
async function readBounded(request: Request, limitBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limitBytes) throw tooLarge(limitBytes);
  if (request.body === null) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limitBytes) throw tooLarge(limitBytes);
      chunks.push(value);
    }
  } finally {
    // Not cancel(): cancelling aborts the request, and the socket with it, before the 413 is sent.
    reader.releaseLock();
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** Nesting depth of a JSON text, counting brackets outside strings; stops counting past `max`. */
function nestingDepth(text: string, max: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c) index += 1; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x7b || char === 0x5b) {
      depth += 1;
      if (depth > deepest) deepest = depth;
      if (deepest > max) return deepest;
    } else if (char === 0x7d || char === 0x5d) depth -= 1;
  }
  return deepest;
}

/**
 * The one way the console reads a JSON request body: JSON content type (415 otherwise), at most
 * `limitBytes` (413, by Content-Length at once or as soon as a streamed body passes it), valid
 * UTF-8, not nested deeper than 32 levels, and a JSON object (400 otherwise).
 */
export async function readJsonObject(request: Request, limitBytes: number): Promise<Record<string, unknown>> {
  if (!isJson(request.headers.get('content-type'))) throw new RequestRefused(415, 'Send the request body as JSON (Content-Type: application/json).');
  const bytes = await readBounded(request, limitBytes);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new RequestRefused(400, 'The request body is not valid UTF-8.');
  }
  if (nestingDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw new RequestRefused(400, 'The request body is nested too deeply.');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new RequestRefused(400, 'The request body is not valid JSON.');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new RequestRefused(400, 'The request body must be a JSON object.');
  return body as Record<string, unknown>;
}
