import { createHmac, type KeyObject } from 'node:crypto';

/** What the audit log keeps of a call's arguments: their names and a keyed digest, never the values. */
export interface ArgumentDescription {
  /** The top-level argument names, sorted. */
  readonly argumentNames: readonly string[];
  readonly argumentDigest: string;
}

/**
 * The argument names and a keyed digest of the values: equal calls can be matched up without
 * the log holding what was said (names, numbers, messages). Never throws, however deep or large
 * the arguments are, so it can run before the tool does. The key is made once (`createSecretKey`):
 * a string key would be converted and checked again for every digest.
 */
export function describeArguments(args: unknown, key: KeyObject): ArgumentDescription {
  const argumentNames = args !== null && typeof args === 'object' && !Array.isArray(args) ? Object.keys(args).sort() : [];
  const digest = createHmac('sha256', key).update(canonicalJson(args ?? {})).digest('hex');
  return { argumentNames, argumentDigest: `hmac-sha256:${digest}` };
}

/** Text written as it is, as opposed to a value still to be rendered. */
interface Literal {
  readonly literal: string;
}

/**
 * JSON with object keys sorted, so equal values give equal text. Walks with an explicit stack
 * rather than recursion: arguments nested thousands of levels deep would overflow the call stack.
 */
function canonicalJson(value: unknown): string {
  const out: string[] = [];
  const pending: Array<Literal | { value: unknown }> = [{ value }];
  while (pending.length > 0) {
    const next = pending.pop()!;
    if ('literal' in next) {
      out.push(next.literal);
      continue;
    }
    const current = next.value;
    if (Array.isArray(current)) {
      out.push('[');
      pending.push({ literal: ']' });
      for (let index = current.length - 1; index >= 0; index -= 1) {
        pending.push({ value: current[index] });
        if (index > 0) pending.push({ literal: ',' });
      }
    } else if (current !== null && typeof current === 'object') {
      const entries = Object.entries(current as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
      out.push('{');
      pending.push({ literal: '}' });
      for (let index = entries.length - 1; index >= 0; index -= 1) {
        const [name, child] = entries[index]!;
        pending.push({ value: child });
        pending.push({ literal: `${JSON.stringify(name)}:` });
        if (index > 0) pending.push({ literal: ',' });
      }
    } else {
      out.push(JSON.stringify(current) ?? 'null');
    }
  }
  return out.join('');
}
