/**
 * Short, readable reasons why a rendered unit changed: which image moved, which variables
 * changed (names only: values can be configuration a reviewer does not need, and a value is
 * never a secret here, but names are enough), and otherwise which settings.
 */

/** Leaf values by path; lists of named items (`env`, `ports`, `containers`) are keyed by name. */
function flatten(value: unknown, path: string, into: Map<string, unknown>): void {
  if (Array.isArray(value)) {
    const named = value.every((item) => item !== null && typeof item === 'object' && typeof (item as { name?: unknown }).name === 'string');
    value.forEach((item, index) => flatten(item, named ? `${path}[${(item as { name: string }).name}]` : `${path}[${index}]`, into));
    if (value.length === 0) into.set(path, '[]');
    return;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) into.set(path, '{}');
    for (const [key, child] of entries) flatten(child, path === '' ? key : `${path}.${key}`, into);
    return;
  }
  into.set(path, value);
}

/** Derived fields that change with others and explain nothing on their own. */
const DERIVED = [/config-hash/];

/** The variable a path belongs to, on any target's layout, or undefined. */
function variableOf(path: string): string | undefined {
  const patterns = [
    /\.env\[([A-Za-z_][A-Za-z0-9_]*)\]/, // Kubernetes container env
    /^ConfigMap\/[^.]+\.data\.([A-Za-z_][A-Za-z0-9_]*)$/, // Kubernetes ConfigMap
    /^environment\.([A-Za-z_][A-Za-z0-9_]*)$/, // Compose
    /^variables\.([A-Za-z_][A-Za-z0-9_]*)/, // Railway
  ];
  for (const pattern of patterns) {
    const match = pattern.exec(path);
    if (match !== null) return match[1];
  }
  return undefined;
}

const MAX_REASONS = 6;

/** Why `after` differs from `before` (either may be undefined: added or removed). */
export function changeReasons(before: unknown, after: unknown): string[] {
  if (before === undefined) return ['added'];
  if (after === undefined) return ['removed'];
  const left = new Map<string, unknown>();
  const right = new Map<string, unknown>();
  flatten(before, '', left);
  flatten(after, '', right);
  const reasons = new Set<string>();
  const variables = new Map<string, string>();
  for (const path of [...new Set([...left.keys(), ...right.keys()])].sort()) {
    const was = left.get(path);
    const now = right.get(path);
    if (was === now || DERIVED.some((pattern) => pattern.test(path))) continue;
    const variable = variableOf(path);
    if (variable !== undefined) {
      variables.set(variable, was === undefined ? 'added' : now === undefined ? 'removed' : 'changed');
    } else if (/(^|\.)image$/.test(path) && typeof was === 'string' && typeof now === 'string') {
      reasons.add(`image ${was} → ${now}`);
    } else {
      reasons.add(`${path.replace(/^[A-Za-z]+\/[^.]+\./, '')} changed`);
    }
  }
  const all = [...reasons, ...[...variables].map(([name, how]) => `env ${name} ${how}`)];
  return all.length > MAX_REASONS ? [...all.slice(0, MAX_REASONS - 1), `and ${all.length - MAX_REASONS + 1} more changes`] : all;
}
