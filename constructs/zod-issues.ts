import type { z } from 'zod';
import { quoted } from './spec-error.ts';

/**
 * Turns a zod issue into the lower-case, value-showing message style of our errors. zod's own
 * messages already say what was expected; we add what was received where zod kept it.
 */
export function formatZodIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return 'invalid value';
  // A record key that fails its own schema: that schema says what a key must be.
  if (issue.code === 'invalid_key' && issue.issues[0] !== undefined) {
    const inner = issue.issues[0];
    return `${formatZodIssue({ ...inner, input: undefined } as z.core.$ZodIssue)}, got key ${describeValue(issue.input)}`;
  }
  const message = issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.map((key) => quoted(key)).join(', ')}`;
  if (!('input' in issue) || issue.input === undefined) return message;
  // "expected number, received NaN" already says all there is to say about the value.
  if (issue.code === 'invalid_type' && (issue.input === null || Number.isNaN(issue.input))) return message;
  return `${message}, got ${describeValue(issue.input)}`;
}

/**
 * The field path of an issue, `ports[0].port`: array items in brackets, as the checks that zod
 * does not make write them, so every message names a field one way. Undefined for the value as
 * a whole.
 */
export function zodIssuePath(issue: z.core.$ZodIssue | undefined): string | undefined {
  const path = issue?.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
  return path === undefined || path === '' ? undefined : path.replace(/^\./, '');
}

/**
 * A value as a message shows it, whatever a file passed: JSON where it can be, never a throw
 * (BigInts, cycles, functions and symbols have no JSON), and never very long.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? `${inner}n` : inner));
  } catch {
    return Array.isArray(value) ? 'an array that contains itself' : 'an object that contains itself';
  }
  if (text === undefined) return String(value);
  return text.length > 200 ? `${text.slice(0, 200)}… (${text.length} characters)` : text;
}
