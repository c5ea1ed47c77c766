import type { RawResponse } from '../helpers/raw-http.ts';
import type { BodyShape, RequestShape } from './request-shapes.ts';

/**
 * A generated request shape as bytes on the wire, with an account of the tool calls it holds, and
 * the JSON-RPC messages of an answer.
 */

/** A tool call sent: its JSON-RPC id (none over /execute-tool) and its argument-name marker, if it has one. */
export interface SentCall {
  readonly id?: string;
  readonly marker?: string;
}

let nextCall = 0;

/** Fills in the call placeholders of a body value; returns the value and the calls in it. */
function assignCalls(value: unknown, calls: SentCall[], topLevel = true): unknown {
  if (Array.isArray(value)) return value.map((item) => assignCalls(item, calls, false));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  // What /execute-tool runs: a body {"tool": "<name>", "args"?: {…}}.
  const isRestCall = topLevel && typeof object['tool'] === 'string';
  if (object['id'] === '$CALL' || isRestCall) {
    const n = (nextCall += 1);
    const argsKey = isRestCall ? 'args' : 'arguments';
    const holder = isRestCall ? object : ((object['params'] as Record<string, unknown> | undefined) ?? {});
    const args = holder[argsKey];
    let marker: string | undefined;
    let filledArgs = args;
    if (args !== null && typeof args === 'object' && !Array.isArray(args) && '$MARK' in args) {
      marker = `fzm${n}`;
      const { $MARK: _, ...rest } = args as Record<string, unknown>;
      filledArgs = { ...rest, [marker]: 1 };
    }
    calls.push({ ...(isRestCall ? {} : { id: `fz-${n}` }), ...(marker !== undefined ? { marker } : {}) });
    if (isRestCall) return args === undefined ? object : { ...object, args: filledArgs };
    return { ...object, id: `fz-${n}`, params: { ...holder, ...(args !== undefined ? { arguments: filledArgs } : {}) } };
  }
  return Object.fromEntries(Object.entries(object).map(([key, child]) => [key, assignCalls(child, calls, false)]));
}

function jsonText(value: unknown): string {
  return (JSON.stringify(value) ?? 'null')
    .replace(/"\$DEEP:(\d+)"/g, (_, depth: string) => `${'{"a":'.repeat(Number(depth))}1${'}'.repeat(Number(depth))}`)
    .replace(/"\$BIG:(\d+)"/g, (_, size: string) => `"${'x'.repeat(Number(size))}"`);
}

export function bodyBytes(shape: BodyShape, calls: SentCall[]): Buffer {
  switch (shape.kind) {
    case 'json':
      return Buffer.from(jsonText(assignCalls(shape.value, calls)));
    case 'truncated': {
      // A cut body never runs its calls, so they are not accounted.
      const text = jsonText(assignCalls(shape.value, []));
      return Buffer.from(text.slice(0, shape.keep % Math.max(1, text.length)));
    }
    case 'invalid-utf8': {
      const placed: SentCall[] = [];
      const bytes = Buffer.from(jsonText(assignCalls(shape.value, placed)));
      let at = shape.at % (bytes.length + 1);
      // Never inside a call's id, so its answer is still recognised. The bad bytes may land in a
      // key ("arguments", say), so the call's marker is not counted on: it counts as unmarked.
      for (const id of bytes.toString('latin1').matchAll(/"fz-\d+"/g)) {
        if (at > id.index && at < id.index + id[0].length) at = id.index + id[0].length;
      }
      calls.push(...placed.map((call) => (call.id === undefined ? {} : { id: call.id })));
      return Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff, 0xc0, 0x80, 0xed, 0xa0, 0x80]), bytes.subarray(at)]);
    }
    case 'bytes':
      return Buffer.from(shape.bytes);
  }
}

export function target(shape: RequestShape, sessionId: string): string {
  const base = shape.path.replace('$SESSION', sessionId);
  if (shape.query.length === 0) return base;
  const pairs = shape.query.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
  return `${base}${base.includes('?') ? '&' : '?'}${pairs}`;
}

/** JSON-RPC messages in an answer: a JSON body (one message or a batch) or an event stream of them. */
export function answerMessages(response: RawResponse): Array<Record<string, unknown>> {
  const type = String(response.headers['content-type'] ?? '');
  const texts = type.startsWith('text/event-stream')
    ? response.text
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
    : type.includes('json')
      ? [response.text]
      : [];
  return texts.flatMap((text) => {
    try {
      const parsed = JSON.parse(text) as unknown;
      return (Array.isArray(parsed) ? parsed : [parsed]).filter((item): item is Record<string, unknown> => item !== null && typeof item === 'object');
    } catch {
      return [];
    }
  });
}

