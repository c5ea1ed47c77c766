/** How deep and how large a tool call's arguments may be (ARGUMENT_MAX_DEPTH, ARGUMENT_MAX_BYTES). */
export interface ArgumentLimits {
  /** Levels of nesting; the arguments object itself is level 1. */
  readonly maxDepth: number;
  /** Size of the arguments as JSON, in UTF-8 bytes. */
  readonly maxBytes: number;
}

export interface BoundsProblem {
  readonly errorClass: 'arguments_too_deep' | 'arguments_too_large';
  /** Ends a sentence that starts "I could not use <tool> because …". */
  readonly reason: string;
}

/**
 * Checks the arguments against the limits before anything else looks at them: schema
 * validation, the workflow's JSON and the audit digest all walk them, and arguments nested
 * thousands of levels deep would overflow the stack in any of them. Walks iteratively and stops
 * at the first level too deep, so the check itself cannot overflow.
 */
export function checkArgumentBounds(args: unknown, limits: ArgumentLimits): BoundsProblem | undefined {
  if (nestedDeeperThan(args, limits.maxDepth)) return { errorClass: 'arguments_too_deep', reason: `its arguments are nested more than ${limits.maxDepth} levels deep` };
  if (Buffer.byteLength(JSON.stringify(args) ?? '') > limits.maxBytes) {
    return { errorClass: 'arguments_too_large', reason: `its arguments are larger than ${limits.maxBytes} bytes` };
  }
  return undefined;
}

/**
 * True when objects or arrays in `value` nest more than `maxDepth` levels (`value` itself is
 * level 1). Walks iteratively and stops at the first level too deep, so it cannot overflow.
 */
export function nestedDeeperThan(value: unknown, maxDepth: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  while (pending.length > 0) {
    const next = pending.pop()!;
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth > maxDepth) return true;
    for (const child of Object.values(next.value)) pending.push({ value: child, depth: next.depth + 1 });
  }
  return false;
}
