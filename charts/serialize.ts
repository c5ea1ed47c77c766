import { stringify } from 'yaml';

/**
 * Deterministic serialisation: sorted keys, no line folding, no timestamps, so the same stack
 * always renders byte-identical files and diffs show only real changes.
 */

/** YAML with sorted keys and no line wrapping. */
export function toYaml(value: unknown): string {
  return stringify(sortKeys(value), { lineWidth: 0, sortMapEntries: false, aliasDuplicateObjects: false });
}

/** JSON with sorted keys, two-space indent and a final newline. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

/** A deep copy with object keys in code-point order; arrays keep their order. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, child]) => child !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([key, child]) => [key, sortKeys(child)]));
  }
  return value;
}
